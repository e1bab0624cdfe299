//! The Rolling Restart (Manifest) stage's form: the object whose Pods are restarted.

use leptos::prelude::*;

use super::targets::ManifestObject;

#[component]
pub(super) fn RollingRestartManifestForm() -> impl IntoView {
    view! {
        <ManifestObject by_label=true />
        <p class="hint">"Its Pods are replaced one after another, as kubectl rollout restart does."</p>
    }
}
