//! Scale (Manifest): sets an object's replicas, then waits until it is stable.

use gennaker_core::infrastructure::server_groups::replicas_problem;
use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::{manifest_ref, wait_for_object};
use super::{PlanError, Planning};

/// Scale, then wait.
pub fn plan(p: &Planning, target: ManifestTarget, replicas: i64) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let target = manifest_ref(kubernetes, target)?;
    if let Some(problem) = replicas_problem(replicas) {
        return Err(format!("replicas: {problem}").into());
    }
    Ok(vec![
        Step::new(
            format!("Scale {} {} to {replicas}", target.kind, target.name),
            StepAction::Scale {
                target: target.clone(),
                replicas,
            },
        ),
        wait_for_object(target),
    ])
}
