//! Rolling Restart (Manifest): restarts the Pods of a Deployment, StatefulSet or DaemonSet as
//! `kubectl rollout restart` does (a new `kubectl.kubernetes.io/restartedAt` annotation on the
//! Pod template, so its controller replaces the Pods one after another), then waits until it
//! is stable. The time is chosen when the stage is planned and kept in the step, so a step run
//! again after a crash restarts nothing twice.

use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{SelectedAct, Step, StepAction};

use super::targets::{manifest_objects, wait_for_object};
use super::{PlanError, Planning};

/// The kinds whose Pod template a restart changes.
const RESTARTABLE: [&str; 3] = ["deployment", "statefulset", "daemonset"];

/// Whether Rolling Restart can restart objects of `kind` (`Deployment`, `deployments.apps`).
fn restartable(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    let base = kind
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches('s');
    RESTARTABLE.contains(&base)
}

/// Restart, wait.
pub fn plan(p: &Planning, target: ManifestTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let objects = manifest_objects(kubernetes, target)?;
    if let Some(kind) = objects.kinds().into_iter().find(|k| !restartable(k)) {
        return Err(format!(
            "Rolling Restart restarts Deployments, StatefulSets and DaemonSets, not {kind}"
        )
        .into());
    }
    let restarted_at = jiff::Timestamp::now().to_string();
    Ok(objects.steps(
        |target| {
            vec![
                Step::new(
                    format!("Restart the Pods of {} {}", target.kind, target.name),
                    StepAction::RollingRestart {
                        target: target.clone(),
                        restarted_at: restarted_at.clone(),
                    },
                ),
                wait_for_object(target),
            ]
        },
        |act| {
            vec![
                act(
                    "Restart the Pods of what was found",
                    SelectedAct::RollingRestart {
                        restarted_at: restarted_at.clone(),
                    },
                ),
                act("Wait for it to be stable", SelectedAct::WaitStable),
            ]
        },
    ))
}
