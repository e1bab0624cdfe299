//! Disable, Enable and Destroy Server Group: one server group, picked when the stage runs from
//! its cluster (newest, previous, oldest, largest or by name), then acted on.

use gennaker_core::pipelines::stages::ClusterTarget;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::pick;
use super::{PlanError, Planning};
use crate::tasks::builders;

/// Disable Server Group: pick it, take it out of its load balancers.
pub fn disable(p: &Planning, target: ClusterTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let (mut steps, picked) = pick(kubernetes, target)?;
    steps.extend(builders::disable(&picked));
    Ok(steps)
}

/// Enable Server Group: pick it, put it back into its load balancers.
pub fn enable(p: &Planning, target: ClusterTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let (mut steps, picked) = pick(kubernetes, target)?;
    steps.extend(builders::enable(&picked));
    Ok(steps)
}

/// Destroy Server Group: pick it, delete its ReplicaSet, wait until it is gone.
pub fn destroy(p: &Planning, target: ClusterTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let (mut steps, target) = pick(kubernetes, target)?;
    steps.push(Step::new(
        "Delete its ReplicaSet",
        StepAction::DeleteReplicaSet {
            target: target.clone(),
        },
    ));
    steps.push(Step::new(
        "Wait until it is gone",
        StepAction::WaitForServerGroupDeleted { target },
    ));
    Ok(steps)
}
