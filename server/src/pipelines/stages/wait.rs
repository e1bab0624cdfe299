//! Wait: one step that waits `waitTime` seconds (Orca's WaitStage).

use gennaker_core::pipelines::stages::Wait;
use gennaker_core::tasks::model::{Step, StepAction};

use super::{PlanError, Planning};

/// Its one step.
pub fn plan(_p: &Planning, wait: Wait) -> Result<Vec<Step>, PlanError> {
    let seconds = wait.seconds.ok_or("waitTime is missing")?;
    Ok(vec![Step::new(
        format!("Wait {seconds} s"),
        StepAction::Wait { seconds },
    )])
}
