//! The Shrink Cluster stage's form (Deck's field names for it).

use leptos::prelude::*;

use super::targets::CleanupForm;

#[component]
pub(super) fn ShrinkClusterForm() -> impl IntoView {
    view! {
        <CleanupForm keep="shrinkToSize" larger="retainLargerOverNewer" active="allowDeleteActive" verb="delete" />
    }
}
