//! Pipeline: starts another pipeline (the child gets an id fixed by this stage's attempt) and,
//! with `waitForCompletion`, waits for it and ends with its status.

use gennaker_core::pipelines::stages::RunPipeline;
use gennaker_core::tasks::model::{Step, StepAction};
use serde_json::Value;

use super::{PlanError, Planning};

/// Its one step.
pub fn plan(p: &Planning, run: RunPipeline) -> Result<Vec<Step>, PlanError> {
    let Planning {
        execution, child, ..
    } = *p;
    let application = run
        .application
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| execution.application.clone());
    let parameters = run
        .parameters
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let label = if run.wait_for_completion {
        format!("Run pipeline {} and wait for it", run.pipeline)
    } else {
        format!("Start pipeline {}", run.pipeline)
    };
    Ok(vec![Step::new(
        label,
        StepAction::RunPipeline {
            application,
            pipeline: run.pipeline,
            parameters,
            execution: child,
            wait: run.wait_for_completion,
            deployed: None,
        },
    )])
}
