//! Scale (Manifest): sets the replicas of an object (named, or found when the stage runs),
//! then waits until it is stable.

use gennaker_core::infrastructure::server_groups::replicas_problem;
use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{SelectedAct, Step, StepAction};

use super::targets::{manifest_objects, wait_for_object};
use super::{PlanError, Planning};

/// Scale, then wait.
pub fn plan(p: &Planning, target: ManifestTarget, replicas: i64) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let objects = manifest_objects(kubernetes, target)?;
    if let Some(problem) = replicas_problem(replicas) {
        return Err(format!("replicas: {problem}").into());
    }
    Ok(objects.steps(
        |target| {
            vec![
                Step::new(
                    format!("Scale {} {} to {replicas}", target.kind, target.name),
                    StepAction::Scale {
                        target: target.clone(),
                        replicas,
                    },
                ),
                wait_for_object(target),
            ]
        },
        |act| {
            vec![
                act(
                    &format!("Scale what was found to {replicas}"),
                    SelectedAct::Scale { replicas },
                ),
                act("Wait for it to be stable", SelectedAct::WaitStable),
            ]
        },
    ))
}
