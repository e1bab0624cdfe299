//! The Scale Down Cluster stage's form (Deck's field names for it).

use leptos::prelude::*;

use super::targets::CleanupForm;

#[component]
pub(super) fn ScaleDownClusterForm() -> impl IntoView {
    view! {
        <CleanupForm keep="remainingFullSizeServerGroups" larger="preferLargerOverNewer" active="allowScaleDownActive" verb="scale down" />
    }
}
