//! The Load Balancers tab: the application's Services, updating live, with create, edit and
//! delete dialogs.

use leptos::prelude::*;

use crate::components::load_balancer_form::{LoadBalancerDialog, new_load_balancer};
use crate::components::object_tab::{EditAndDelete, ObjectTab, Opened};
use crate::components::operation::Confirm;
use crate::infrastructure::application_load_balancers;
use crate::pages::application::ApplicationContext;
use gennaker_core::infrastructure::load_balancers::{LoadBalancer, LoadBalancerSpec};
use gennaker_core::infrastructure::server_groups::Protocol;
use gennaker_core::tasks::model::Operation;

lazy_page!(
    /// The Load Balancers tab.
    LoadBalancersRoute => LoadBalancersTab
);

#[component]
pub fn LoadBalancersTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let balancers = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_load_balancers(name),
    );
    let new_spec =
        move || new_load_balancer(context.name.get_untracked(), String::new(), String::new());
    view! {
        <ObjectTab label="Load balancers" create_id="create-load-balancer" create_label="+ Create Load Balancer"
            items=balancers loading="Loading load balancers…"
            empty_title="No load balancers yet"
            empty_text="A load balancer is a Service; server groups attached to it receive its traffic while they are enabled."
            new_spec
            card=|lb: LoadBalancer, open| view! { <LoadBalancerCard lb open /> }
            edit=|spec: LoadBalancerSpec, live, on_close| {
                // A new one has no account yet.
                let editing = !spec.account.is_empty();
                view! { <LoadBalancerDialog spec live on_close editing /> }
            }
            live />
    }
}

#[component]
fn LoadBalancerCard(lb: LoadBalancer, open: Opened<LoadBalancerSpec>) -> impl IntoView {
    let ports = lb
        .ports
        .iter()
        .map(|p| {
            let node = if p.node_port != 0 {
                format!(" (node port {})", p.node_port)
            } else {
                String::new()
            };
            format!(
                "{} → {}{}{}",
                p.port,
                if p.target_port == 0 {
                    p.port
                } else {
                    p.target_port
                },
                node,
                if p.protocol == Protocol::Tcp {
                    String::new()
                } else {
                    format!(" {}", p.protocol.as_str())
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let spec = lb.spec.clone();
    let remove = Confirm::delete(
        "load balancer",
        &lb.name,
        Operation::DeleteLoadBalancer {
            application: lb.spec.application.clone(),
            load_balancer: lb.reference(),
        },
    );
    view! {
        <li class="card load-balancer" aria-label=format!("Load balancer {}", lb.name)>
            <div class="card-title">
                <h2>{lb.name.clone()}</h2>
                <span class="badge">{lb.kind.clone()}</span>
            </div>
            <dl class="facts">
                <dt>"Account"</dt><dd>{format!("{} · {}", lb.account, lb.namespace)}</dd>
                <dt>"Ports"</dt><dd>{ports}</dd>
                <dt>"Cluster IP"</dt><dd>{lb.cluster_ip.clone()}</dd>
                <dt>"Server groups"</dt><dd class="lb-server-groups">{if lb.server_groups.is_empty() { "none".to_string() } else { lb.server_groups.join(", ") }}</dd>
                <dt>"Ready endpoints"</dt><dd class="lb-endpoints">{format!("{} Pods", lb.ready_pods.len())}</dd>
            </dl>
            <EditAndDelete spec delete=remove open />
        </li>
    }
}
