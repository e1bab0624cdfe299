//! Manual Judgment: one step that waits for a person's decision, 72 hours unless the stage
//! sets its own timeout (the decision itself is taken by `rules::commands::judge`).

use std::time::Duration;

use gennaker_core::pipelines::stages::ManualJudgment;
use gennaker_core::tasks::model::{Step, StepAction};

use super::{PlanError, Planning};

/// How long a Manual Judgment waits when its stage sets no timeout (Spinnaker: 72 h).
pub const JUDGMENT_TIMEOUT: Duration = Duration::from_secs(72 * 3600);

/// Its one step.
pub fn plan(p: &Planning, judgment: ManualJudgment) -> Result<Vec<Step>, PlanError> {
    let step = Step::new(
        "Wait for a judgment",
        StepAction::ManualJudgment {
            options: judgment.options,
        },
    );
    // The stage's own timeout, when it has one, is the task's deadline instead.
    Ok(vec![if p.own_timeout {
        step
    } else {
        step.with_timeout(JUDGMENT_TIMEOUT)
    }])
}
