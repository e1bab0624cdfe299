//! Rolling Restart (Manifest): restarts the Pods of a Deployment, StatefulSet or DaemonSet as
//! `kubectl rollout restart` does (a new `kubectl.kubernetes.io/restartedAt` annotation on the
//! Pod template, so its controller replaces the Pods one after another), then waits until it
//! is stable. The time is chosen when the stage is planned and kept in the step, so a step run
//! again after a crash restarts nothing twice.

use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::{manifest_ref, wait_for_object};
use super::{PlanError, Planning};

/// The kinds whose Pod template a restart changes.
const RESTARTABLE: [&str; 3] = ["deployment", "statefulset", "daemonset"];

/// Restart, wait.
pub fn plan(p: &Planning, target: ManifestTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let target = manifest_ref(kubernetes, target)?;
    let kind = target.kind.to_ascii_lowercase();
    let base = kind
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches('s');
    if !RESTARTABLE.contains(&base) {
        return Err(format!(
            "manifestName: Rolling Restart restarts Deployments, StatefulSets and DaemonSets, not {}",
            target.kind
        )
        .into());
    }
    Ok(vec![
        Step::new(
            format!("Restart the Pods of {} {}", target.kind, target.name),
            StepAction::RollingRestart {
                target: target.clone(),
                restarted_at: jiff::Timestamp::now().to_string(),
            },
        ),
        wait_for_object(target),
    ])
}
