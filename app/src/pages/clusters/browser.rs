//! The cluster browser: filters by account, namespace and stack, each cluster with its server
//! groups as rows, and the details of the selected server group beside them.

use leptos::prelude::*;

use super::Open;
use super::deployments::DeploymentHeader;
use super::server_group::{ServerGroupDetails, group_status, version};
use crate::components::feedback::EmptyState;
use crate::components::fields::SelectField;
use crate::components::instances::Instances;
use crate::components::time::When;
use crate::error::AppError;
use crate::pages::application::ApplicationContext;
use gennaker_core::infrastructure::server_groups::{ClusterView, ObjectRef, ServerGroup};

/// "All", then each distinct value, as filter options.
fn distinct(values: impl Iterator<Item = String>) -> Vec<(String, String)> {
    let mut values: Vec<String> = values.collect();
    values.sort();
    values.dedup();
    std::iter::once((String::new(), "All".to_string()))
        .chain(values.into_iter().map(|v| (v.clone(), v)))
        .collect()
}

/// Filters, the clusters, and the details of the selected server group.
#[component]
pub(super) fn ClusterBrowser(
    clusters: Vec<ClusterView>,
    selected: RwSignal<Option<ObjectRef>>,
    open: RwSignal<Option<Open>>,
    account: RwSignal<String>,
    namespace: RwSignal<String>,
    stack: RwSignal<String>,
) -> impl IntoView {
    if clusters.is_empty() {
        return view! {
            <EmptyState title="No server groups yet">
                <p>"Create one with + Create Server Group: an image, a namespace and a number of replicas are enough."</p>
            </EmptyState>
        }
        .into_any();
    }
    let accounts = distinct(clusters.iter().map(|c| c.account.clone()));
    let namespaces = distinct(clusters.iter().map(|c| c.namespace.clone()));
    let stacks = distinct(
        clusters
            .iter()
            .flat_map(|c| c.server_groups.iter())
            .map(|g| g.moniker.stack.clone())
            .filter(|s| !s.is_empty()),
    );
    let no_errors = Signal::derive(|| None::<AppError>);
    let application = expect_context::<ApplicationContext>().name;
    let details = {
        let clusters = clusters.clone();
        move || {
            let chosen = selected.get()?;
            let (cluster, group) = clusters.iter().find_map(|c| {
                c.server_groups
                    .iter()
                    .find(|g| g.reference() == chosen)
                    .map(|g| (c.clone(), g.clone()))
            })?;
            Some(view! { <ServerGroupDetails group cluster selected open /> })
        }
    };
    view! {
        <div class="toolbar filters" role="group" aria-label="Filters">
            <SelectField id="filter-account" label="Account" field="account" value=account errors=no_errors options=Signal::stored(accounts) />
            <SelectField id="filter-namespace" label="Namespace" field="namespace" value=namespace errors=no_errors options=Signal::stored(namespaces) />
            <SelectField id="filter-stack" label="Stack" field="stack" value=stack errors=no_errors options=Signal::stored(stacks) />
        </div>
        <div class="cluster-layout">
            <div class="cluster-list">
                {clusters
                    .into_iter()
                    .map(|cluster| {
                        let shown = {
                            let (a, n) = (cluster.account.clone(), cluster.namespace.clone());
                            let stacks: Vec<String> = cluster.server_groups.iter().map(|g| g.moniker.stack.clone()).collect();
                            move || {
                                (account.get().is_empty() || account.get() == a)
                                    && (namespace.get().is_empty() || namespace.get() == n)
                                    && (stack.get().is_empty() || stacks.contains(&stack.get()))
                            }
                        };
                        let kind = if cluster.deployment.is_some() { "Deployment" } else { "Cluster" };
                        let current = cluster.deployment.as_ref().and_then(|d| d.revision);
                        let header = match cluster.deployment.clone() {
                            Some(status) => view! { <DeploymentHeader cluster=cluster.clone() status application open /> }.into_any(),
                            None => ().into_any(),
                        };
                        view! {
                            <section class="cluster" class:deployment=cluster.deployment.is_some() aria-label=format!("{kind} {}", cluster.name) class:hidden=move || !shown()>
                                <h2 class="cluster-name">
                                    {cluster.name.clone()}
                                    {cluster.deployment.is_some().then(|| view! { <span class="kind-badge">"Deployment"</span> })}
                                    <span class="cluster-place">{format!("{} · {}", cluster.account, cluster.namespace)}</span>
                                </h2>
                                {header}
                                <ul class="server-groups">
                                    {cluster.server_groups.into_iter().map(|group| view! { <ServerGroupRow group current selected /> }).collect_view()}
                                </ul>
                            </section>
                        }
                    })
                    .collect_view()}
            </div>
            {details}
        </div>
    }
    .into_any()
}

#[component]
fn ServerGroupRow(
    group: ServerGroup,
    /// The Deployment's current revision, when the cluster is a Deployment.
    current: Option<u32>,
    selected: RwSignal<Option<ObjectRef>>,
) -> impl IntoView {
    let reference = group.reference();
    let is_selected = Memo::new({
        let reference = reference.clone();
        move |_| selected.get().as_ref() == Some(&reference)
    });
    let (status, badge) = group_status(&group, current);
    let (ready, desired) = (group.ready, group.desired);
    // The whole row selects on click. Keyboards and screen readers use the button, whose click
    // bubbles here; the instances stay outside it, so their health is read as a list of its own.
    view! {
        <li class="server-group" class:selected=move || is_selected.get() class:disabled=badge == "canceled"
            on:click=move |_| selected.set(Some(reference.clone()))>
            <button type="button" class="server-group-button" aria-pressed=move || is_selected.get().to_string()>
                <span class="server-group-head">
                    <span class="server-group-version">{version(&group)}</span>
                    <span class="server-group-name">{group.name.clone()}</span>
                    <span class=format!("status-badge {badge}")>{status}</span>
                </span>
                <span class="server-group-meta">
                    <span class="server-group-image">{group.images.join(", ")}</span>
                    <span class="server-group-count">
                        <span aria-hidden="true">{format!("{ready}/{desired}")}</span>
                        <span class="visually-hidden">{format!("{ready} of {desired} Ready")}</span>
                    </span>
                    {group.created_at.map(|at| view! { <When at in_control=true /> })}
                </span>
            </button>
            <Instances owner=group.name.clone() instances=group.instances.clone() />
        </li>
    }
}
