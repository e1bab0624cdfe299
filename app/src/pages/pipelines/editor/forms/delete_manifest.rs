//! The Delete (Manifest) stage's form: the object to delete, or how to find them when it runs.

use leptos::prelude::*;

use super::targets::ManifestObject;

#[component]
pub(super) fn DeleteManifestForm() -> impl IntoView {
    view! { <ManifestObject by_label=true /> }
}
