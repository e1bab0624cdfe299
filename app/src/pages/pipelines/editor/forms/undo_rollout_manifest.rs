//! The Undo Rollout (Manifest) stage's form: one object and how many revisions back.

use leptos::prelude::*;

use super::targets::ManifestObject;
use crate::pages::pipelines::editor::widgets::Setting;
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn UndoRolloutManifestForm() -> impl IntoView {
    view! {
        <ManifestObject />
        <Setting path=vec![Seg::Key("numRevisionsBack")] id="stage-undo-back" label="Revisions back" number=true required=true
            hint="1 goes back to the revision before the current one." />
    }
}
