//! The Clusters tab: the application's clusters, their server groups (newest first) and each
//! server group's instances as coloured squares with their health in text; a details panel with
//! the Server Group Actions menu; "Create Server Group". A Deployment is a cluster whose server
//! groups are its revisions, with Scale, Undo Rollout and Delete. Updates live as the cluster
//! changes.

use leptos::prelude::*;
use leptos::web_sys;

use crate::components::dialog::Dialog;
use crate::components::feedback::{EmptyState, ErrorPanel, FormError, Loading};
use crate::components::fields::{SelectField, TextArea, TextField};
use crate::components::operation::{
    Confirm, ConfirmDialog, DialogButtons, OperationBody, OperationState, start_operation,
};
use crate::components::parse;
use crate::components::placement::Placement;
use crate::error::{AppError, settle};
use crate::infrastructure::application_clusters;
use crate::infrastructure::application_jobs;
use crate::infrastructure::application_load_balancers;
use crate::infrastructure::jobs::JobView;
use crate::infrastructure::server_groups::{
    ClusterView, DeploymentStatus, Instance, ObjectRef, Rollout, ServerGroup, ServerGroupSpec,
    replicas_problem,
};
use crate::live::Live;
use crate::pages::application::ApplicationContext;
use crate::tasks::model::{ManifestRef, Operation};

/// A dialog open on the Clusters tab.
#[derive(Clone)]
enum Open {
    Create(Box<ServerGroupSpec>),
    Replicas(Box<ReplicasTarget>),
    Rollback(Box<ServerGroup>, Vec<ServerGroup>),
    Undo(Box<ClusterView>, Option<u32>),
    Confirm(Box<Confirm>),
    Manifest,
}

/// What a replicas dialog changes: a server group (Resize) or a Deployment (Scale).
#[derive(Clone)]
enum ReplicasTarget {
    ServerGroup(Box<ServerGroup>),
    Deployment {
        application: String,
        cluster: ClusterView,
    },
}

impl ReplicasTarget {
    fn title(&self) -> String {
        match self {
            ReplicasTarget::ServerGroup(group) => format!("Resize {}", group.name),
            ReplicasTarget::Deployment { cluster, .. } => format!("Scale {}", cluster.name),
        }
    }
    fn verb(&self) -> &'static str {
        match self {
            ReplicasTarget::ServerGroup(_) => "Resize",
            ReplicasTarget::Deployment { .. } => "Scale",
        }
    }
    fn desired(&self) -> i32 {
        match self {
            ReplicasTarget::ServerGroup(group) => group.desired,
            ReplicasTarget::Deployment { cluster, .. } => {
                cluster.deployment.as_ref().map_or(0, |d| d.desired)
            }
        }
    }
    fn operation(&self, replicas: i64) -> Operation {
        match self {
            ReplicasTarget::ServerGroup(group) => Operation::ResizeServerGroup {
                application: group.moniker.application.clone(),
                server_group: group.reference(),
                replicas,
            },
            ReplicasTarget::Deployment {
                application,
                cluster,
            } => Operation::ScaleManifest {
                application: application.clone(),
                target: deployment_manifest(cluster),
                replicas,
            },
        }
    }
}

fn deployment_manifest(cluster: &ClusterView) -> ManifestRef {
    ManifestRef {
        account: cluster.account.clone(),
        namespace: cluster.namespace.clone(),
        kind: "Deployment".into(),
        name: cluster.name.clone(),
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
    fn delete_deployment(application: String, cluster: &ClusterView) -> Confirm {
        Confirm {
            title: format!("Delete {}", cluster.name),
            message: format!(
                "Delete Deployment {}? Kubernetes then deletes its {} ReplicaSets and their Pods. This cannot be undone.",
                cluster.name,
                cluster.server_groups.len()
            ),
            label: "Delete",
            danger: true,
            operation: Operation::DeleteManifest {
                application,
                target: deployment_manifest(cluster),
            },
        }
    }
}

#[component]
pub fn ClustersTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let clusters = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_clusters(name),
    );
    let selected = RwSignal::new(None::<ObjectRef>);
    let open = RwSignal::new(None::<Open>);
    let account = RwSignal::new(String::new());
    let namespace = RwSignal::new(String::new());
    let stack = RwSignal::new(String::new());

    let new_spec = move || ServerGroupSpec {
        application: context.name.get_untracked(),
        replicas: 1,
        ..ServerGroupSpec::default()
    };
    view! {
        <section class="tab-panel clusters" aria-label="Clusters">
            <div class="tab-toolbar">
                <button type="button" class="button primary" id="create-server-group"
                    on:click=move |_| open.set(Some(Open::Create(Box::new(new_spec()))))>
                    "+ Create Server Group"
                </button>
                <button type="button" class="button" id="apply-manifest" on:click=move |_| open.set(Some(Open::Manifest))>
                    "Apply Manifest"
                </button>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading clusters…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        clusters.await.map(|clusters| {
                            view! { <ClusterBrowser clusters selected open account namespace stack /> }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <JobsSection open />
        </section>
        {move || open.get().map(|dialog| {
            let close = Callback::new(move |()| open.set(None));
            match dialog {
                Open::Create(spec) => view! { <CreateServerGroupDialog spec=*spec live on_close=close /> }.into_any(),
                Open::Replicas(target) => view! { <ReplicasDialog target=*target live on_close=close /> }.into_any(),
                Open::Rollback(group, older) => view! { <RollbackDialog group=*group older live on_close=close /> }.into_any(),
                Open::Undo(cluster, revision) => view! { <UndoRolloutDialog cluster=*cluster revision live on_close=close /> }.into_any(),
                Open::Confirm(confirm) => view! { <ConfirmDialog confirm=*confirm live on_close=close /> }.into_any(),
                Open::Manifest => view! { <ManifestDialog application=context.name.get_untracked() live on_close=close /> }.into_any(),
            }
        })}
    }
}

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
fn ClusterBrowser(
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

/// A Deployment's rollout state and its actions: Scale, Undo Rollout, Delete.
#[component]
fn DeploymentHeader(
    cluster: ClusterView,
    status: DeploymentStatus,
    application: Memo<String>,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    let revision = status
        .revision
        .map(|r| format!("Revision {r} · "))
        .unwrap_or_default();
    let counts = format!(
        "{revision}{} of {} updated, {} ready, {} available",
        status.updated, status.desired, status.ready, status.available
    );
    let reason = match &status.rollout {
        Rollout::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    let has_earlier = cluster
        .server_groups
        .iter()
        .any(|g| g.sequence.is_some() && g.sequence != status.revision);
    let (scale, undo, delete) = (cluster.clone(), cluster.clone(), cluster);
    view! {
        <div class="deployment-status">
            <span class=format!("status-badge {}", status.rollout.class())>{status.rollout.label()}</span>
            <span class="deployment-counts">{counts}</span>
            {reason.map(|r| view! { <p class="form-error">{r}</p> })}
        </div>
        <div class="cluster-actions" role="group" aria-label="Deployment actions">
            <button type="button" class="button small" on:click=move |_| open.set(Some(Open::Replicas(Box::new(ReplicasTarget::Deployment {
                application: application.get_untracked(),
                cluster: scale.clone(),
            }))))>"Scale"</button>
            <button type="button" class="button small" disabled=!has_earlier
                title=if has_earlier { "" } else { "No earlier revision to go back to" }
                on:click=move |_| open.set(Some(Open::Undo(Box::new(undo.clone()), None)))>"Undo Rollout"</button>
            <button type="button" class="button small danger" on:click=move |_| open.set(Some(Open::Confirm(Box::new(
                Confirm::delete_deployment(application.get_untracked(), &delete),
            ))))>"Delete"</button>
        </div>
    }
}

/// The application's Jobs, newest first, when it has any: outcome, Pods, and Delete.
#[component]
fn JobsSection(open: RwSignal<Option<Open>>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let jobs = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_jobs(name),
    );
    view! {
        <Transition fallback=|| ()>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    jobs.await.map(|list| {
                        (!list.is_empty()).then(|| view! {
                            <section class="jobs" aria-labelledby="jobs-title">
                                <h2 id="jobs-title" class="cluster-name">"Jobs"</h2>
                                <ul class="server-groups" aria-label="Jobs">
                                    {list.into_iter().map(|job| view! { <JobRow job application=context.name open /> }).collect_view()}
                                </ul>
                            </section>
                        })
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn JobRow(job: JobView, application: Memo<String>, open: RwSignal<Option<Open>>) -> impl IntoView {
    let counts = format!("{}/{} succeeded", job.succeeded, job.completions);
    let extra = [
        (job.active > 0).then(|| format!("{} running", job.active)),
        (job.failed > 0).then(|| format!("{} failed", job.failed)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let reason = match &job.state {
        crate::infrastructure::jobs::JobState::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    let finished = if job.completed_at.is_empty() {
        String::new()
    } else {
        format!("completed {}", job.completed_at.replace('T', " "))
    };
    let remove = {
        let job = job.clone();
        move |_| {
            open.set(Some(Open::Confirm(Box::new(Confirm {
                title: format!("Delete {}", job.name),
                message: format!(
                    "Delete Job {}? Its {} Pods and their logs are deleted with it.",
                    job.name,
                    job.instances.len()
                ),
                label: "Delete",
                danger: true,
                operation: Operation::DeleteManifest {
                    application: application.get_untracked(),
                    target: ManifestRef {
                        account: job.account.clone(),
                        namespace: job.namespace.clone(),
                        kind: "Job".into(),
                        name: job.name.clone(),
                    },
                },
            }))));
        }
    };
    view! {
        <li class="job card" aria-label=format!("Job {}", job.name)>
            <span class="server-group-head">
                <span class="server-group-name">{job.name.clone()}</span>
                <span class=format!("status-badge {}", job.state.class())>{job.state.label()}</span>
                <span class="cluster-place">{format!("{} · {}", job.account, job.namespace)}</span>
            </span>
            <span class="server-group-meta">
                <span class="server-group-image">{job.images.join(", ")}</span>
                <span class="server-group-count">{counts}</span>
                {(!extra.is_empty()).then(|| view! { <span>{extra.clone()}</span> })}
                <time datetime=job.started_at.clone()>{format!("started {}", job.started_at.replace('T', " "))}</time>
                {(!finished.is_empty()).then(|| view! { <span>{finished.clone()}</span> })}
            </span>
            {reason.map(|r| view! { <p class="form-error">{r}</p> })}
            <span class="job-footer">
                <Instances owner=job.name.clone() instances=job.instances.clone() />
                <button type="button" class="button small danger" aria-label=format!("Delete Job {}", job.name) on:click=remove>"Delete"</button>
            </span>
        </li>
    }
}

/// "v003" for sequence 3; "rev 3" for a Deployment's third revision.
fn version(group: &ServerGroup) -> String {
    match (group.sequence, &group.deployment) {
        (Some(s), Some(_)) => format!("rev {s}"),
        (Some(s), None) => format!("v{s:03}"),
        (None, _) => group.name.clone(),
    }
}

/// A server group's state in words and its badge class: enabled or disabled, or for a
/// Deployment's ReplicaSet whether it is the current revision.
fn group_status(
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
    let label = format!(
        "{} {}, {} of {} Ready, {status}",
        group.name,
        version(&group),
        group.ready,
        group.desired
    );
    view! {
        <li class="server-group" class:selected=move || is_selected.get() class:disabled=badge == "canceled">
            <button type="button" class="server-group-button" aria-label=label aria-pressed=move || is_selected.get().to_string()
                on:click=move |_| selected.set(Some(reference.clone()))>
                <span class="server-group-head">
                    <span class="server-group-version">{version(&group)}</span>
                    <span class="server-group-name">{group.name.clone()}</span>
                    <span class=format!("status-badge {badge}")>{status}</span>
                </span>
                <span class="server-group-meta">
                    <span class="server-group-image">{group.images.join(", ")}</span>
                    <span class="server-group-count">{format!("{}/{}", group.ready, group.desired)}</span>
                    <time datetime=group.created_at.clone()>{group.created_at.replace('T', " ")}</time>
                </span>
                <Instances owner=group.name.clone() instances=group.instances.clone() />
            </button>
        </li>
    }
}

/// One square per Pod, coloured by health, with the health in text for screen readers and
/// in the tooltip.
#[component]
fn Instances(#[prop(into)] owner: String, instances: Vec<Instance>) -> impl IntoView {
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
fn ServerGroupDetails(
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
                <dt>"Created"</dt><dd>{group.created_at.replace('T', " ")}</dd>
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

/// The inputs of "Create Server Group", as typed.
#[derive(Clone, Copy)]
struct Fields {
    account: RwSignal<String>,
    namespace: RwSignal<String>,
    stack: RwSignal<String>,
    detail: RwSignal<String>,
    image: RwSignal<String>,
    replicas: RwSignal<String>,
    command: RwSignal<String>,
    args: RwSignal<String>,
    env: RwSignal<String>,
    ports: RwSignal<String>,
    cpu_request: RwSignal<String>,
    cpu_limit: RwSignal<String>,
    memory_request: RwSignal<String>,
    memory_limit: RwSignal<String>,
    labels: RwSignal<String>,
    node_selector: RwSignal<String>,
    load_balancers: RwSignal<Vec<String>>,
}

/// `key=value` lines, as the text areas take them.
fn pairs<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    entries
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Fields {
    fn new(spec: &ServerGroupSpec) -> Fields {
        let text = |s: &str| RwSignal::new(s.to_string());
        Fields {
            account: text(&spec.account),
            namespace: text(&spec.namespace),
            stack: text(&spec.stack),
            detail: text(&spec.detail),
            image: text(&spec.image),
            replicas: RwSignal::new(spec.replicas.to_string()),
            command: RwSignal::new(spec.command.join("\n")),
            args: RwSignal::new(spec.args.join("\n")),
            env: RwSignal::new(pairs(spec.env.iter().map(|e| (&e.name, &e.value)))),
            ports: RwSignal::new(
                spec.ports
                    .iter()
                    .map(|p| {
                        let name = if p.name.is_empty() {
                            String::new()
                        } else {
                            format!("{}:", p.name)
                        };
                        let protocol = if p.protocol == Default::default() {
                            String::new()
                        } else {
                            format!("/{}", p.protocol.as_str())
                        };
                        format!("{name}{}{protocol}", p.container_port)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            cpu_request: text(&spec.resources.cpu_request),
            cpu_limit: text(&spec.resources.cpu_limit),
            memory_request: text(&spec.resources.memory_request),
            memory_limit: text(&spec.resources.memory_limit),
            labels: RwSignal::new(pairs(&spec.labels)),
            node_selector: RwSignal::new(pairs(&spec.node_selector)),
            load_balancers: RwSignal::new(spec.load_balancers.clone()),
        }
    }

    /// The spec the inputs describe, checked as the server will check it.
    fn to_spec(self, application: String) -> Result<ServerGroupSpec, AppError> {
        let get = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        let spec = ServerGroupSpec {
            application,
            account: get(self.account),
            namespace: get(self.namespace),
            stack: get(self.stack),
            detail: get(self.detail),
            image: get(self.image),
            replicas: parse::integer(&self.replicas.get_untracked(), "replicas", "Replicas")?,
            command: parse::lines(&self.command.get_untracked()),
            args: parse::lines(&self.args.get_untracked()),
            env: parse::env_vars(&self.env.get_untracked())?,
            ports: parse::container_ports(&self.ports.get_untracked())?,
            resources: crate::infrastructure::server_groups::Resources {
                cpu_request: get(self.cpu_request),
                cpu_limit: get(self.cpu_limit),
                memory_request: get(self.memory_request),
                memory_limit: get(self.memory_limit),
            },
            labels: parse::key_values(&self.labels.get_untracked(), "labels", "Labels")?,
            load_balancers: self.load_balancers.get_untracked(),
            node_selector: parse::key_values(
                &self.node_selector.get_untracked(),
                "nodeSelector",
                "Node selector",
            )?,
        };
        AppError::from_fields(spec.validate())?;
        Ok(spec)
    }
}

const CREATE_FIELDS: &[&str] = &[
    "account",
    "namespace",
    "stack",
    "detail",
    "image",
    "replicas",
    "command",
    "env",
    "ports",
    "resources.cpuRequest",
    "resources.cpuLimit",
    "resources.memoryRequest",
    "resources.memoryLimit",
    "labels",
    "nodeSelector",
    "loadBalancers",
];

#[component]
fn CreateServerGroupDialog(
    spec: ServerGroupSpec,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let fields = Fields::new(&spec);
    let application = spec.application.clone();
    let cloning = !spec.image.is_empty();
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let balancers = {
        let application = application.clone();
        Resource::new(
            move || (),
            move |_| application_load_balancers(application.clone()),
        )
    };
    let on_submit = {
        let application = application.clone();
        move |event: web_sys::SubmitEvent| {
            event.prevent_default();
            match fields.to_spec(application.clone()) {
                Ok(spec) => {
                    errors.set(None);
                    submit.dispatch(Operation::CreateServerGroup {
                        spec: Box::new(spec),
                    });
                }
                Err(error) => errors.set(Some(error)),
            }
        }
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    let title = if cloning {
        "Clone Server Group"
    } else {
        "Create New Server Group"
    };
    view! {
        <Dialog id="create-server-group-dialog" title on_close focus="sg-image" wide=true>
            <OperationBody state live on_close>
                    <form on:submit=on_submit.clone() novalidate=true>
                        <Placement account=fields.account namespace=fields.namespace errors=errors_signal id_prefix="sg" />
                        <Transition fallback=|| view! { <Loading label="Loading load balancers…" /> }>
                            {move || Suspend::new(async move {
                                let balancers = balancers.await.unwrap_or_default();
                                view! { <LoadBalancerChoices fields balancers /> }
                            })}
                        </Transition>
                        <div class="form-grid">
                            <TextField id="sg-stack" label="Stack" field="stack" value=fields.stack errors=errors_signal hint="Optional: prod, staging…" />
                            <TextField id="sg-detail" label="Detail" field="detail" value=fields.detail errors=errors_signal hint="Optional: canary, worker…" />
                        </div>
                        <ImagePicker image=fields.image />
                        <TextField id="sg-image" label="Container image" field="image" value=fields.image errors=errors_signal required=true
                            hint="A reference such as registry.example.com/team/web:1.2.3" />
                        <TextField id="sg-replicas" label="Replicas" field="replicas" value=fields.replicas errors=errors_signal kind="number" required=true />
                        <details class="more-options">
                            <summary>"Container options"</summary>
                            <TextArea id="sg-command" label="Command" field="command" value=fields.command errors=errors_signal hint="One entry per line; empty keeps the image's entrypoint." />
                            <TextArea id="sg-args" label="Arguments" field="command" value=fields.args errors=errors_signal hint="One argument per line." />
                            <TextArea id="sg-env" label="Environment" field="env" value=fields.env errors=errors_signal hint="NAME=value, one per line." />
                            <TextField id="sg-ports" label="Container ports" field="ports" value=fields.ports errors=errors_signal hint="Comma-separated: 8080, http:8080, 53/UDP" />
                            <div class="form-grid">
                                <TextField id="sg-cpu-request" label="CPU request" field="resources.cpuRequest" value=fields.cpu_request errors=errors_signal hint="e.g. 100m" />
                                <TextField id="sg-cpu-limit" label="CPU limit" field="resources.cpuLimit" value=fields.cpu_limit errors=errors_signal />
                                <TextField id="sg-memory-request" label="Memory request" field="resources.memoryRequest" value=fields.memory_request errors=errors_signal hint="e.g. 128Mi" />
                                <TextField id="sg-memory-limit" label="Memory limit" field="resources.memoryLimit" value=fields.memory_limit errors=errors_signal />
                            </div>
                            <TextArea id="sg-labels" label="Labels" field="labels" value=fields.labels errors=errors_signal hint="key=value, one per line." />
                            <TextArea id="sg-node-selector" label="Node selector" field="nodeSelector" value=fields.node_selector errors=errors_signal hint="key=value, one per line: schedule only onto nodes with these labels." />
                        </details>
                        <FormError errors=errors_signal known_fields=CREATE_FIELDS />
                        <DialogButtons on_close submit_label=if cloning { "Clone" } else { "Create" } pending=submit.pending().into() />
                    </form>
                </OperationBody>
        </Dialog>
    }
}

/// The load balancers in the chosen account and namespace, to attach the server group to.
#[component]
fn LoadBalancerChoices(
    fields: Fields,
    balancers: Vec<crate::infrastructure::load_balancers::LoadBalancer>,
) -> impl IntoView {
    let options = move || {
        let (account, namespace) = (fields.account.get(), fields.namespace.get());
        balancers
            .iter()
            .filter(|b| b.account == account && b.namespace == namespace)
            .map(|b| b.name.clone())
            .collect::<Vec<_>>()
    };
    view! {
        <fieldset class="field-group">
            <legend>"Load balancers"</legend>
            {move || {
                let names = options();
                if names.is_empty() {
                    return view! { <p class="hint">"No load balancers in this namespace; create one on the Load Balancers tab."</p> }.into_any();
                }
                names
                    .into_iter()
                    .map(|name| {
                        let id = format!("sg-lb-{name}");
                        let checked = { let name = name.clone(); move || fields.load_balancers.get().contains(&name) };
                        let toggle = {
                            let name = name.clone();
                            move |ev: web_sys::Event| {
                                let on = event_target_checked(&ev);
                                fields.load_balancers.update(|list| {
                                    list.retain(|n| n != &name);
                                    if on {
                                        list.push(name.clone());
                                    }
                                });
                            }
                        };
                        view! {
                            <div class="field checkbox">
                                <input id=id.clone() type="checkbox" prop:checked=checked on:change=toggle />
                                <label for=id>{name}</label>
                            </div>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </fieldset>
    }
}

/// Resize a server group or scale a Deployment.
#[component]
fn ReplicasDialog(target: ReplicasTarget, live: Live, on_close: Callback<()>) -> impl IntoView {
    let desired = target.desired();
    let replicas = RwSignal::new(desired.to_string());
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let (title, verb) = (target.title(), target.verb());
    let on_submit =
        move |event: web_sys::SubmitEvent| {
            event.prevent_default();
            let checked = parse::integer(&replicas.get_untracked(), "replicas", "Replicas")
                .and_then(|n| match replicas_problem(n) {
                    Some(problem) => Err(AppError::invalid("replicas", problem)),
                    None => Ok(n),
                });
            match checked {
                Ok(n) => {
                    errors.set(None);
                    submit.dispatch(target.operation(n));
                }
                Err(error) => errors.set(Some(error)),
            }
        };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    view! {
        <Dialog id="resize-dialog" title on_close focus="resize-replicas">
            <OperationBody state live on_close>
                    <form on:submit=on_submit.clone() novalidate=true>
                        <p>{format!("It asks for {desired} replicas now.")}</p>
                        <TextField id="resize-replicas" label="Replicas" field="replicas" value=replicas errors=errors_signal kind="number" required=true />
                        <FormError errors=errors_signal known_fields=&["replicas"] />
                        <DialogButtons on_close submit_label=verb pending=submit.pending().into() />
                    </form>
                </OperationBody>
        </Dialog>
    }
}

/// Rolls a Deployment back to the Pod template of an earlier revision.
#[component]
fn UndoRolloutDialog(
    cluster: ClusterView,
    revision: Option<u32>,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let current = cluster.deployment.as_ref().and_then(|d| d.revision);
    let options: Vec<(String, String)> = cluster
        .server_groups
        .iter()
        .filter_map(|g| {
            let r = g.sequence.filter(|r| Some(*r) != current)?;
            Some((
                r.to_string(),
                format!("Revision {r} ({})", g.images.join(", ")),
            ))
        })
        .collect();
    let chosen = RwSignal::new(
        revision
            .map(|r| r.to_string())
            .or_else(|| options.first().map(|(v, _)| v.clone()))
            .unwrap_or_default(),
    );
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let application = expect_context::<ApplicationContext>().name.get_untracked();
    let empty = options.is_empty();
    let deployment = cluster.deployment_ref();
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let (Some(deployment), Ok(revision)) =
            (deployment.clone(), chosen.get_untracked().parse::<i64>())
        else {
            errors.set(Some(AppError::invalid(
                "revision",
                "Choose the revision to roll back to.",
            )));
            return;
        };
        errors.set(None);
        submit.dispatch(Operation::UndoRollout {
            application: application.clone(),
            deployment,
            revision,
        });
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    let now = current
        .map(|r| format!(" (it runs revision {r} now)"))
        .unwrap_or_default();
    view! {
        <Dialog id="undo-dialog" title=format!("Undo rollout of {}", cluster.name) on_close focus="undo-revision">
            <OperationBody state live on_close>
                <form on:submit=on_submit.clone() novalidate=true>
                    <p>{format!("The Deployment gets the Pod template of the chosen revision{now}; Kubernetes rolls it out as a new revision.")}</p>
                    {empty.then(|| view! { <p class="warning">"This Deployment has no earlier revision."</p> })}
                    <SelectField id="undo-revision" label="Roll back to" field="revision" value=chosen errors=errors_signal options=Signal::stored(options.clone()) />
                    <FormError errors=errors_signal known_fields=&["revision"] />
                    <DialogButtons on_close submit_label="Undo Rollout" pending=submit.pending().into() />
                </form>
            </OperationBody>
        </Dialog>
    }
}

#[component]
fn RollbackDialog(
    group: ServerGroup,
    older: Vec<ServerGroup>,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let options: Vec<(String, String)> = older
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                format!(
                    "{} ({}, {})",
                    g.name,
                    g.images.join(", "),
                    if g.disabled { "disabled" } else { "enabled" }
                ),
            )
        })
        .collect();
    let restore = RwSignal::new(options.first().map(|(v, _)| v.clone()).unwrap_or_default());
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let application = group.moniker.application.clone();
    let current = group.reference();
    let empty = options.is_empty();
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let name = restore.get_untracked();
        if name.is_empty() {
            errors.set(Some(AppError::invalid(
                "restore",
                "There is no other server group in this cluster to roll back to.",
            )));
            return;
        }
        errors.set(None);
        let restore = ObjectRef {
            name,
            ..current.clone()
        };
        submit.dispatch(Operation::RollbackServerGroup {
            application: application.clone(),
            current: current.clone(),
            restore,
        });
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    view! {
        <Dialog id="rollback-dialog" title=format!("Roll back {}", group.name) on_close focus="rollback-restore">
            <OperationBody state live on_close>
                    <form on:submit=on_submit.clone() novalidate=true>
                        <p>"The chosen server group is enabled (and resized if it is smaller); once it is healthy, " {group.name.clone()} " is disabled. Its Pods keep running."</p>
                        {empty.then(|| view! { <p class="warning">"This cluster has no other server group."</p> })}
                        <SelectField id="rollback-restore" label="Restore to" field="restore" value=restore errors=errors_signal options=Signal::stored(options.clone()) />
                        <FormError errors=errors_signal known_fields=&["restore"] />
                        <DialogButtons on_close submit_label="Roll back" pending=submit.pending().into() />
                    </form>
                </OperationBody>
        </Dialog>
    }
}

/// Fills the image field from a docker-registry account: registry, repository (from the catalog
/// or typed), then tag.
#[component]
fn ImagePicker(image: RwSignal<String>) -> impl IntoView {
    use crate::infrastructure::{list_docker_registries, registry_repositories, registry_tags};
    let registries = Resource::new(|| (), |_| list_docker_registries());
    let registry = RwSignal::new(String::new());
    let repository = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let repositories = Resource::new(
        move || registry.get(),
        |name| async move {
            if name.is_empty() {
                return Ok(None);
            }
            settle(registry_repositories(name).await).map(Some)
        },
    );
    let tags = Resource::new(
        move || (registry.get(), repository.get()),
        |(name, repository)| async move {
            if name.is_empty() || repository.trim().is_empty() {
                return Ok(Vec::new());
            }
            settle(registry_tags(name, repository.trim().to_string()).await)
        },
    );
    let no_errors = Signal::derive(|| None::<AppError>);
    view! {
        <details class="more-options image-picker">
            <summary>"Pick the image from a docker registry"</summary>
            <Transition fallback=|| view! { <Loading label="Loading registries…" /> }>
                {move || Suspend::new(async move {
                    let list = registries.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="hint">"No docker-registry accounts are configured; type the image reference below."</p> }.into_any();
                    }
                    let addresses: Vec<(String, String)> = list.iter().map(|r| (r.name.clone(), r.address.clone())).collect();
                    let options: Vec<(String, String)> = std::iter::once((String::new(), "Choose a registry".to_string()))
                        .chain(list.iter().map(|r| (r.name.clone(), format!("{} ({})", r.name, r.address))))
                        .collect();
                    let choose_tag = move |ev: leptos::web_sys::Event| {
                        let chosen = event_target_value(&ev);
                        tag.set(chosen.clone());
                        let address = addresses.iter().find(|(n, _)| *n == registry.get_untracked()).map(|(_, a)| a.clone());
                        if let (Some(address), false) = (address, chosen.is_empty()) {
                            image.set(format!("{address}/{}:{chosen}", repository.get_untracked().trim()));
                        }
                    };
                    view! {
                        <SelectField id="picker-registry" label="Registry" field="registry" value=registry errors=no_errors options=Signal::stored(options) />
                        <div class="field">
                            <label for="picker-repository">"Repository"</label>
                            <input id="picker-repository" list="picker-repositories" bind:value=repository autocomplete="off" />
                            <datalist id="picker-repositories">
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match repositories.await {
                                            Ok(Some(list)) => view! {
                                                {list.repositories.into_iter().map(|r| { let label = r.clone(); view! { <option value=r>{label}</option> } }).collect_view()}
                                            }.into_any(),
                                            _ => ().into_any(),
                                        }
                                    })}
                                </Transition>
                            </datalist>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match repositories.await {
                                        Ok(Some(list)) => list.warning.map(|w| view! { <p class="warning">{w}</p> }).into_any(),
                                        Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                                        Ok(None) => ().into_any(),
                                    }
                                })}
                            </Transition>
                        </div>
                        <div class="field">
                            <label for="picker-tag">"Tag"</label>
                            <Transition fallback=|| view! { <select id="picker-tag" disabled=true><option>"Loading tags…"</option></select> }>
                                {move || { let choose_tag = choose_tag.clone(); Suspend::new(async move {
                                    match tags.await {
                                        Ok(list) => {
                                            let empty = list.is_empty();
                                            view! {
                                                <select id="picker-tag" on:change=choose_tag disabled=empty>
                                                    <option value="">{if empty { "Choose a repository first" } else { "Choose a tag" }}</option>
                                                    {list.into_iter().map(|t| { let label = t.clone(); view! { <option value=t>{label}</option> } }).collect_view()}
                                                </select>
                                            }.into_any()
                                        }
                                        Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                                    }
                                })}}
                            </Transition>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </details>
    }
}

/// Applies YAML or JSON documents (server-side apply, field manager `gennaker`).
#[component]
fn ManifestDialog(application: String, live: Live, on_close: Callback<()>) -> impl IntoView {
    let account = RwSignal::new(String::new());
    let namespace = RwSignal::new(String::new());
    let manifest = RwSignal::new(String::new());
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        if manifest.get_untracked().trim().is_empty() {
            errors.set(Some(AppError::invalid(
                "manifest",
                "Paste at least one Kubernetes object.",
            )));
            return;
        }
        errors.set(None);
        submit.dispatch(Operation::ApplyManifest {
            application: application.clone(),
            account: account.get_untracked(),
            namespace: namespace.get_untracked(),
            manifest: manifest.get_untracked(),
        });
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    view! {
        <Dialog id="manifest-dialog" title="Apply Manifest" on_close focus="manifest-text" wide=true>
            <OperationBody state live on_close>
                <form on:submit=on_submit.clone() novalidate=true>
                    <Placement account namespace errors=errors_signal id_prefix="manifest" namespace_label="Default namespace" />
                    <TextArea id="manifest-text" label="Manifest" field="manifest" value=manifest errors=errors_signal rows=12
                        hint="YAML or JSON; separate several objects with ---. Objects without a namespace go to the default one." />
                    <FormError errors=errors_signal known_fields=&["manifest", "account", "namespace"] />
                    <DialogButtons on_close submit_label="Apply" pending=submit.pending().into() />
                </form>
            </OperationBody>
        </Dialog>
    }
}
