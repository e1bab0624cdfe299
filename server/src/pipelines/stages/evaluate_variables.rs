//! Evaluate Variables: the variables, already evaluated with the stage's settings, become the
//! stage's outputs.

use gennaker_core::tasks::model::{Step, StepAction};
use serde_json::{Map, Value};

use super::{PlanError, Planning};

/// Its one step.
pub fn plan(_p: &Planning, variables: Vec<(String, Value)>) -> Result<Vec<Step>, PlanError> {
    let outputs: Map<String, Value> = variables.into_iter().collect();
    Ok(vec![Step::new(
        format!("Evaluate {} variable(s)", outputs.len()),
        StepAction::Record { outputs },
    )])
}
