//! The form of Disable, Enable and Destroy Server Group: the cluster and which server group.

use leptos::prelude::*;

use super::targets::{ClusterPlace, TargetChoice};

/// Disable, Enable and Destroy Server Group.
#[component]
pub(super) fn ServerGroupForm() -> impl IntoView {
    view! {
        <ClusterPlace cluster_optional=true />
        <TargetChoice />
    }
}
