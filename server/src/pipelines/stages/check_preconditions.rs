//! Check Preconditions: each check (an expression, another stage's status) is decided when the
//! stage is planned; a cluster's size is checked when it runs.

use gennaker_core::pipelines::stages::Precondition;
use gennaker_core::tasks::model::{Step, StepAction};
use serde_json::Value;

use super::{PlanError, Planning};

/// One step per check.
pub fn plan(p: &Planning, checks: Vec<Precondition>) -> Result<Vec<Step>, PlanError> {
    let execution = p.execution;
    let mut steps = Vec::new();
    for check in checks {
        match check {
            Precondition::Expression {
                expression,
                failure_message,
                fail_pipeline,
            } => {
                let holds = match &expression {
                    Value::Bool(b) => *b,
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    other => {
                        return Err(format!(
                            "the precondition's expression gave {other}, not true or false"
                        )
                        .into());
                    }
                };
                let message = if holds {
                    "the expression is true".to_string()
                } else {
                    failure_message.unwrap_or_else(|| "the expression is false".to_string())
                };
                steps.push(precondition_step(holds, fail_pipeline, message));
            }
            Precondition::StageStatus {
                stage_name,
                status,
                fail_pipeline,
            } => {
                let actual = execution
                    .stages
                    .iter()
                    .find(|s| s.name == stage_name)
                    .map(|s| s.status.as_str())
                    .ok_or_else(|| format!("there is no stage named {stage_name:?}"))?;
                let holds = actual.eq_ignore_ascii_case(&status);
                let message = format!("stage {stage_name:?} is {actual} (expected {status})");
                steps.push(precondition_step(holds, fail_pipeline, message));
            }
            Precondition::ClusterSize {
                account,
                namespace,
                cluster,
                comparison,
                expected,
                only_enabled,
                ..
            } => steps.push(Step::new(
                format!("Check the size of cluster {cluster}"),
                StepAction::CheckClusterSize {
                    account,
                    namespace: if namespace.is_empty() {
                        "default".into()
                    } else {
                        namespace
                    },
                    cluster,
                    comparison,
                    expected: expected.ok_or("the expected cluster size is missing")?,
                    only_enabled,
                },
            )),
        }
    }
    Ok(steps)
}

/// A check decided at planning; one with `failPipeline: false` only notes its failure.
fn precondition_step(holds: bool, fail_pipeline: bool, message: String) -> Step {
    let (passed, message) = match (holds, fail_pipeline) {
        (true, _) => (true, message),
        (false, true) => (false, message),
        (false, false) => (true, format!("{message} (ignored: failPipeline is false)")),
    };
    Step::new(
        "Check a precondition",
        StepAction::Precondition { passed, message },
    )
}
