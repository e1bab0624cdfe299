//! A server group's or a Job's instances (Pods) as squares coloured by health.

use leptos::prelude::*;

use gennaker_core::infrastructure::server_groups::Instance;

/// One square per Pod, coloured by health. The health is text too: each square's tooltip, and
/// for screen readers a list, "Instances of web-v003", whose items read "web-v003-x7k2p: Up".
/// It must not sit inside a button, whose name would swallow the list.
#[component]
pub fn Instances(#[prop(into)] owner: String, instances: Vec<Instance>) -> impl IntoView {
    view! {
        <ul class="instances" aria-label=format!("Instances of {owner}")>
            {instances
                .into_iter()
                .map(|i| {
                    let text = format!("{}: {}", i.name, i.health.label());
                    let title = text.clone();
                    view! {
                        <li class=format!("instance {}", i.health.class()) title=title data-pod=i.name>
                            <span class="visually-hidden">{text}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
