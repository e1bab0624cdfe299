//! A server group's or a Job's instances (Pods) as squares coloured by health.

use leptos::prelude::*;

use crate::infrastructure::server_groups::Instance;

/// One square per Pod, coloured by health, with the health in text for screen readers and
/// in the tooltip.
#[component]
pub fn Instances(#[prop(into)] owner: String, instances: Vec<Instance>) -> impl IntoView {
    view! {
        <span class="instances" role="list" aria-label=format!("Instances of {owner}")>
            {instances
                .into_iter()
                .map(|i| {
                    let text = format!("{}: {}", i.name, i.health.label());
                    let title = text.clone();
                    view! {
                        <span role="listitem" class=format!("instance {}", i.health.class()) title=title data-pod=i.name.clone()>
                            <span class="visually-hidden">{text}</span>
                        </span>
                    }
                })
                .collect_view()}
        </span>
    }
}
