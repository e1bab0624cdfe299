//! A Deployment shown as a cluster: its rollout state and counts, Scale (the replicas dialog),
//! Undo Rollout to an earlier revision, and Delete.

use leptos::prelude::*;

use super::Open;
use super::dialogs::{ReplicasTarget, deployment_manifest};
use crate::components::dialog::Dialog;
use crate::components::fields::SelectField;
use crate::components::operation::{Confirm, OperationForm, start_operation};
use crate::error::AppError;
use crate::live::Live;
use crate::pages::application::ApplicationContext;
use gennaker_core::infrastructure::server_groups::{ClusterView, DeploymentStatus, Rollout};
use gennaker_core::tasks::model::Operation;

impl Confirm {
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

/// A Deployment's rollout state and its actions: Scale, Undo Rollout, Delete.
#[component]
pub(super) fn DeploymentHeader(
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

/// Rolls a Deployment back to the Pod template of an earlier revision.
#[component]
pub(super) fn UndoRolloutDialog(
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
    let application = expect_context::<ApplicationContext>().name.get_untracked();
    let empty = options.is_empty();
    let deployment = cluster.deployment_ref();
    let operation = move || {
        let (Some(deployment), Ok(revision)) =
            (deployment.clone(), chosen.get_untracked().parse::<i64>())
        else {
            return Err(AppError::invalid(
                "revision",
                "Choose the revision to roll back to.",
            ));
        };
        Ok(Operation::UndoRollout {
            application: application.clone(),
            deployment,
            revision,
        })
    };
    let errors_signal = state.errors();
    let now = current
        .map(|r| format!(" (it runs revision {r} now)"))
        .unwrap_or_default();
    view! {
        <Dialog id="undo-dialog" title=format!("Undo rollout of {}", cluster.name) on_close focus="undo-revision">
            <OperationForm state live on_close operation submit_label="Undo Rollout" known_fields=&["revision"]>
                <p>{format!("The Deployment gets the Pod template of the chosen revision{now}; Kubernetes rolls it out as a new revision.")}</p>
                {empty.then(|| view! { <p class="warning">"This Deployment has no earlier revision."</p> })}
                <SelectField id="undo-revision" label="Roll back to" field="revision" value=chosen errors=errors_signal options=Signal::stored(options.clone()) />
            </OperationForm>
        </Dialog>
    }
}
