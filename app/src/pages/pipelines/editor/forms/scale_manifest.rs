//! The Scale (Manifest) stage's form: one object and its replicas.

use leptos::prelude::*;

use super::targets::ManifestObject;
use crate::pages::pipelines::editor::widgets::Setting;
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn ScaleManifestForm() -> impl IntoView {
    view! {
        <ManifestObject by_label=true />
        <Setting path=vec![Seg::Key("replicas")] id="stage-scale-replicas" label="Replicas" number=true required=true />
    }
}
