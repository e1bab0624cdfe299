//! The dialogs of the Clusters tab that the browser, the server group actions and the
//! Deployment header open: Create (or Clone) Server Group, the replicas dialog (Resize a server
//! group, Scale a Deployment), Roll back a server group, and Apply Manifest.

use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::fields::{SelectField, TextArea, TextField};
use crate::components::operation::{OperationForm, start_operation};
use crate::components::parse;
use crate::components::placement::Placement;
use crate::components::server_group_form::{FIELDS, ServerGroupFields, ServerGroupForm};
use crate::error::AppError;
use crate::live::Live;
use gennaker_core::infrastructure::server_groups::{
    ClusterView, ObjectRef, ServerGroup, ServerGroupSpec, replicas_problem,
};
use gennaker_core::tasks::model::{ManifestRef, Operation};

/// "Create New Server Group", or "Clone Server Group" when `spec` is an existing one's. Once the
/// user has tried to submit, the form is checked again as they type.
#[component]
pub(super) fn CreateServerGroupDialog(
    spec: ServerGroupSpec,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let fields = ServerGroupFields::new(&spec);
    let checked = Memo::new(move |_| fields.spec());
    let tried = RwSignal::new(false);
    let cloning = !spec.image.is_empty();
    let state = start_operation();
    let operation = move || {
        tried.set(true);
        checked
            .get_untracked()
            .map(|spec| Operation::CreateServerGroup {
                spec: Box::new(spec),
            })
    };
    // The form's own problems while there are any, else the server's refusal of the last try.
    let answer = state.submit.value();
    let shown = Signal::derive(move || match checked.get() {
        Err(problems) if tried.get() => Some(problems),
        _ => answer.get().and_then(Result::err),
    });
    let title = if cloning {
        "Clone Server Group"
    } else {
        "Create New Server Group"
    };
    view! {
        <Dialog id="create-server-group-dialog" title on_close focus="sg-image" wide=true>
            <OperationForm state live on_close operation submit_label=if cloning { "Clone" } else { "Create" }.to_string() known_fields=FIELDS errors=shown>
                <ServerGroupForm fields errors=shown id_prefix="sg" live />
            </OperationForm>
        </Dialog>
    }
}

/// The Deployment a cluster shows, as a manifest to scale or delete.
pub(super) fn deployment_manifest(cluster: &ClusterView) -> ManifestRef {
    ManifestRef {
        account: cluster.account.clone(),
        namespace: cluster.namespace.clone(),
        kind: "Deployment".into(),
        name: cluster.name.clone(),
    }
}

/// What a replicas dialog changes: a server group (Resize) or a Deployment (Scale).
#[derive(Clone)]
pub(super) enum ReplicasTarget {
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

/// Resize a server group or scale a Deployment.
#[component]
pub(super) fn ReplicasDialog(
    target: ReplicasTarget,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let desired = target.desired();
    let replicas = RwSignal::new(desired.to_string());
    let state = start_operation();
    let (title, verb) = (target.title(), target.verb());
    let operation = move || {
        let n = parse::integer(&replicas.get_untracked(), "replicas", "Replicas")?;
        match replicas_problem(n) {
            Some(problem) => Err(AppError::invalid("replicas", problem)),
            None => Ok(target.operation(n)),
        }
    };
    let errors_signal = state.errors();
    view! {
        <Dialog id="resize-dialog" title on_close focus="resize-replicas">
            <OperationForm state live on_close operation submit_label=verb known_fields=&["replicas"]>
                <p>{format!("It asks for {desired} replicas now.")}</p>
                <TextField id="resize-replicas" label="Replicas" field="replicas" value=replicas errors=errors_signal kind="number" required=true />
            </OperationForm>
        </Dialog>
    }
}

#[component]
pub(super) fn RollbackDialog(
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
    let application = group.moniker.application.clone();
    let current = group.reference();
    let empty = options.is_empty();
    let operation = move || {
        let name = restore.get_untracked();
        if name.is_empty() {
            return Err(AppError::invalid(
                "restore",
                "There is no other server group in this cluster to roll back to.",
            ));
        }
        Ok(Operation::RollbackServerGroup {
            application: application.clone(),
            current: current.clone(),
            restore: ObjectRef {
                name,
                ..current.clone()
            },
        })
    };
    let errors_signal = state.errors();
    view! {
        <Dialog id="rollback-dialog" title=format!("Roll back {}", group.name) on_close focus="rollback-restore">
            <OperationForm state live on_close operation submit_label="Roll back" known_fields=&["restore"]>
                <p>"The chosen server group is enabled (and resized if it is smaller); once it is healthy, " {group.name.clone()} " is disabled. Its Pods keep running."</p>
                {empty.then(|| view! { <p class="warning">"This cluster has no other server group."</p> })}
                <SelectField id="rollback-restore" label="Restore to" field="restore" value=restore errors=errors_signal options=Signal::stored(options.clone()) />
            </OperationForm>
        </Dialog>
    }
}

/// Applies YAML or JSON documents (server-side apply, field manager `gennaker`).
#[component]
pub(super) fn ManifestDialog(
    application: String,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let account = RwSignal::new(String::new());
    let namespace = RwSignal::new(String::new());
    let manifest = RwSignal::new(String::new());
    let state = start_operation();
    let operation = move || {
        if manifest.get_untracked().trim().is_empty() {
            return Err(AppError::invalid(
                "manifest",
                "Paste at least one Kubernetes object.",
            ));
        }
        Ok(Operation::ApplyManifest {
            application: application.clone(),
            account: account.get_untracked(),
            namespace: namespace.get_untracked(),
            manifest: manifest.get_untracked(),
        })
    };
    let errors_signal = state.errors();
    view! {
        <Dialog id="manifest-dialog" title="Apply Manifest" on_close focus="manifest-text" wide=true>
            <OperationForm state live on_close operation submit_label="Apply" known_fields=&["manifest", "account", "namespace"]>
                <Placement account namespace errors=errors_signal id_prefix="manifest" namespace_label="Default namespace" />
                <TextArea id="manifest-text" label="Manifest" field="manifest" value=manifest errors=errors_signal rows=12
                    hint="YAML or JSON; separate several objects with ---. Objects without a namespace go to the default one." />
            </OperationForm>
        </Dialog>
    }
}
