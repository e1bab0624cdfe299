//! The Deploy (Manifest) stage's form: the account, a namespace override, the manifests.

use leptos::prelude::*;

use crate::pages::pipelines::editor::widgets::{AccountChoice, ManifestText, Setting};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn DeployManifestForm() -> impl IntoView {
    view! {
        <AccountChoice id="stage-manifest-account" />
        <Setting path=vec![Seg::Key("namespaceOverride")] id="stage-namespace-override" label="Namespace override"
            hint="Optional: deploy every object into this namespace." />
        <ManifestText />
    }
}
