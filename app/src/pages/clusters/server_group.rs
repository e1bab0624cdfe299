//! One server group: its details beside the cluster list, and the Server Group Actions menu
//! (Rollback, Resize, Disable, Enable, Destroy, Clone) of one Gennaker manages.

use leptos::prelude::*;

use super::Open;
use super::dialogs::ReplicasTarget;
use crate::components::operation::Confirm;
use crate::components::time::When;
use gennaker_core::infrastructure::server_groups::{ClusterView, ObjectRef, ServerGroup};
use gennaker_core::tasks::model::Operation;

/// "v003" for sequence 3; "rev 3" for a Deployment's third revision.
pub(super) fn version(group: &ServerGroup) -> String {
    match (group.sequence, &group.deployment) {
        (Some(s), Some(_)) => format!("rev {s}"),
        (Some(s), None) => format!("v{s:03}"),
        (None, _) => group.name.clone(),
    }
}

/// A server group's state in words and its badge class: enabled or disabled, or for a
/// Deployment's ReplicaSet whether it is the current revision.
pub(super) fn group_status(
    group: &ServerGroup,
    current_revision: Option<u32>,
) -> (&'static str, &'static str) {
    match (&group.deployment, group.disabled) {
        (Some(_), _) if group.sequence.is_some() && group.sequence == current_revision => {
            ("Current", "succeeded")
        }
        (Some(_), _) => ("Earlier revision", "canceled"),
        (None, true) => ("Disabled", "canceled"),
        (None, false) => ("Enabled", "succeeded"),
    }
}

impl Confirm {
    fn disable(group: &ServerGroup) -> Confirm {
        Confirm {
            title: format!("Disable {}", group.name),
            message: format!(
                "Disable {}? Its load balancers stop sending it traffic; its Pods keep running.",
                group.name
            ),
            label: "Disable",
            danger: false,
            operation: Operation::DisableServerGroup {
                application: group.moniker.application.clone(),
                server_group: group.reference(),
            },
        }
    }
    fn enable(group: &ServerGroup) -> Confirm {
        Confirm {
            title: format!("Enable {}", group.name),
            message: format!(
                "Enable {}? Its load balancers send it traffic again.",
                group.name
            ),
            label: "Enable",
            danger: false,
            operation: Operation::EnableServerGroup {
                application: group.moniker.application.clone(),
                server_group: group.reference(),
            },
        }
    }
    fn destroy(group: &ServerGroup) -> Confirm {
        Confirm {
            title: format!("Destroy {}", group.name),
            message: format!(
                "Destroy {}? The ReplicaSet and its {} Pods are deleted. This cannot be undone.",
                group.name,
                group.instances.len()
            ),
            label: "Destroy",
            danger: true,
            operation: Operation::DestroyServerGroup {
                application: group.moniker.application.clone(),
                server_group: group.reference(),
            },
        }
    }
}

/// The Server Group Actions menu of a server group Gennaker manages.
#[component]
fn ServerGroupActions(
    group: ServerGroup,
    cluster: ClusterView,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    let menu = RwSignal::new(false);
    let older: Vec<ServerGroup> = cluster
        .server_groups
        .into_iter()
        .filter(|g| g.name != group.name)
        .collect();
    let choose = {
        let group = group.clone();
        move |dialog: fn(ServerGroup, Vec<ServerGroup>) -> Open| {
            let group = group.clone();
            let older = older.clone();
            move |_| {
                menu.set(false);
                open.set(Some(dialog(group.clone(), older.clone())));
            }
        }
    };
    let can_clone = group.spec.is_some();
    let has_traffic = !group.load_balancers.is_empty();
    view! {
        <div class="menu">
            <button type="button" class="button" aria-haspopup="true" aria-expanded=move || menu.get().to_string()
                on:click=move |_| menu.update(|m| *m = !*m)>
                "Server Group Actions ▾"
            </button>
            <div class="menu-items" hidden=move || !menu.get()>
                <button type="button" class="menu-item" on:click=choose(|g, older| Open::Rollback(Box::new(g), older))>"Rollback"</button>
                <button type="button" class="menu-item" on:click=choose(|g, _| Open::Replicas(Box::new(ReplicasTarget::ServerGroup(Box::new(g)))))>"Resize"</button>
                <button type="button" class="menu-item" disabled=!has_traffic on:click=choose(|g, _| Open::Confirm(Box::new(Confirm::disable(&g))))>"Disable"</button>
                <button type="button" class="menu-item" disabled=!has_traffic on:click=choose(|g, _| Open::Confirm(Box::new(Confirm::enable(&g))))>"Enable"</button>
                <button type="button" class="menu-item" on:click=choose(|g, _| Open::Confirm(Box::new(Confirm::destroy(&g))))>"Destroy"</button>
                <button type="button" class="menu-item" disabled=!can_clone
                    on:click=choose(|g, _| Open::Create(Box::new(g.spec.clone().unwrap_or_default())))>"Clone"</button>
            </div>
        </div>
    }
}

#[component]
pub(super) fn ServerGroupDetails(
    group: ServerGroup,
    cluster: ClusterView,
    selected: RwSignal<Option<ObjectRef>>,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    let cluster_revision = cluster.deployment.as_ref().and_then(|d| d.revision);
    let actions = match (&group.deployment, &cluster.deployment) {
        (Some(owner), Some(status)) => {
            let current = group.sequence.is_some() && group.sequence == status.revision;
            let note = match group.sequence {
                Some(r) if current => {
                    format!("Revision {r} of Deployment {owner}: the one it runs now.")
                }
                Some(r) => format!(
                    "Revision {r} of Deployment {owner}: Kubernetes keeps it, scaled to zero, to roll back to."
                ),
                None => format!("A ReplicaSet of Deployment {owner}."),
            };
            let revision = group.sequence;
            view! {
                <p class="hint">{note}</p>
                {(!current && revision.is_some()).then(|| view! {
                    <button type="button" class="button" id="undo-to-revision"
                        on:click=move |_| open.set(Some(Open::Undo(Box::new(cluster.clone()), revision)))>
                        {format!("Roll back to revision {}", revision.unwrap_or_default())}
                    </button>
                })}
            }
            .into_any()
        }
        _ => view! { <ServerGroupActions group=group.clone() cluster open /> }.into_any(),
    };
    let status = if group.deployment.is_none() && group.disabled {
        "Disabled: no load balancer sends it traffic"
    } else {
        group_status(&group, cluster_revision).0
    };
    view! {
        <aside class="details card" aria-labelledby="details-title">
            <div class="card-title">
                <h2 id="details-title">{group.name.clone()}</h2>
                <button type="button" class="button small" aria-label="Close details" on:click=move |_| selected.set(None)>"×"</button>
            </div>
            {actions}
            <dl class="facts">
                <dt>"Account"</dt><dd>{group.account.clone()}</dd>
                <dt>"Namespace"</dt><dd>{group.namespace.clone()}</dd>
                <dt>"Cluster"</dt><dd>{group.cluster.clone()}</dd>
                <dt>"Status"</dt><dd>{status}</dd>
                <dt>"Replicas"</dt><dd>{format!("{} of {} Ready", group.ready, group.desired)}</dd>
                <dt>"Image"</dt><dd>{group.images.join(", ")}</dd>
                <dt>"Load balancers"</dt><dd>{if group.load_balancers.is_empty() { "none".to_string() } else { group.load_balancers.join(", ") }}</dd>
                <dt>"Created"</dt><dd>{group.created_at.map(|at| view! { <When at /> })}</dd>
            </dl>
            <h3>"Instances"</h3>
            <ul class="instance-list">
                {group.instances.iter().map(|i| view! {
                    <li>
                        <span class=format!("instance {}", i.health.class()) aria-hidden="true"></span>
                        <span class="instance-name">{i.name.clone()}</span>
                        <span class="instance-health">{i.health.label()}</span>
                        <span class="instance-node">{format!("{} {}", i.node, i.ip)}</span>
                    </li>
                }).collect_view()}
            </ul>
        </aside>
    }
}
