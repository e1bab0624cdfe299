//! The Delete (Manifest) stage's form: the object to delete.

use leptos::prelude::*;

use super::targets::ManifestObject;

#[component]
pub(super) fn DeleteManifestForm() -> impl IntoView {
    view! { <ManifestObject /> }
}
