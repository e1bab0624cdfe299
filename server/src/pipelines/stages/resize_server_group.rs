//! Resize Server Group: the server group picked when the stage runs is resized, then made healthy.

use gennaker_core::pipelines::stages::ClusterTarget;
use gennaker_core::tasks::model::{Resize, Step, StepAction};

use super::targets::pick;
use super::{PlanError, Planning};
use crate::tasks::builders;

/// Pick, resize, wait for health.
pub fn plan(p: &Planning, target: ClusterTarget, resize: Resize) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let (mut steps, picked) = pick(kubernetes, target)?;
    steps.push(Step::new(
        format!("Resize it {}", resize.describe()),
        StepAction::ResizeServerGroup {
            target: picked.clone(),
            resize,
        },
    ));
    steps.push(builders::wait_for_healthy(&picked, None));
    Ok(steps)
}
