//! The Script stage's form: where the script runs (account, namespace, image) and the script.

use leptos::prelude::*;

use crate::pages::pipelines::editor::widgets::{AccountChoice, Flag, Setting};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn ScriptForm() -> impl IntoView {
    view! {
        <div class="form-grid">
            <AccountChoice id="stage-script-account" />
            <Setting path=vec![Seg::Key("namespace")] id="stage-script-namespace" label="Namespace" hint="Default: default" />
        </div>
        <Setting path=vec![Seg::Key("image")] id="stage-script-image" label="Image" required=true
            hint="The container image the script runs in, such as alpine:3.20; it needs sh." />
        <Setting path=vec![Seg::Key("command")] id="stage-script-command" label="Script" required=true area=true
            hint="Run with sh -c; a non-zero exit fails the stage. Lines it prints as SPINNAKER_PROPERTY_NAME=value become outputs." />
        <Flag path=vec![Seg::Key("deleteJob")] id="stage-delete-job" label="Delete the Job once it has finished (its logs are kept here)" />
    }
}
