//! The Run Job (Manifest) stage's form: the account, the Job manifest, the container whose log gives outputs, whether to delete the Job.

use leptos::prelude::*;

use crate::pages::pipelines::editor::widgets::{AccountChoice, Flag, ManifestText, Setting};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn RunJobManifestForm() -> impl IntoView {
    view! {
        <AccountChoice id="stage-job-account" />
        <ManifestText single=true />
        <Setting path=vec![Seg::Key("propertyFile")] id="stage-property-file" label="Output properties from container"
            hint="Optional: the container whose log has lines SPINNAKER_PROPERTY_NAME=value or SPINNAKER_CONFIG_JSON={...}; they become the stage's outputs, and the stage fails without them." />
        <Flag path=vec![Seg::Key("deleteJob")] id="stage-delete-job" label="Delete the Job once it has finished (its logs are kept here)" />
    }
}
