//! The artifacts a stage can name: those the trigger brought or a start bound
//! (`trigger.artifacts`, `trigger.resolvedExpectedArtifacts`) and those earlier stages produced
//! (their outputs' `artifacts` and `resolvedExpectedArtifacts`), as Orca's `ArtifactUtils`
//! looks them up.

use gennaker_core::pipelines::artifacts::{Artifact, ExpectedArtifact};
use gennaker_core::pipelines::execution::{Execution, StageExecution};
use gennaker_core::pipelines::stages::ArtifactChoice;
use serde_json::{Map, Value};

use super::{PlanError, ancestors};

/// The places artifacts are kept for `stage`: the trigger, then the stages before it (nearest
/// first).
fn places<'e>(execution: &'e Execution, stage: &StageExecution) -> Vec<&'e Map<String, Value>> {
    let mut found = vec![&execution.trigger.extra];
    for upstream in ancestors(execution, &stage.ref_id) {
        if let Some(s) = execution.stage(&upstream) {
            found.push(&s.outputs);
        }
    }
    found
}

fn list<T: serde::de::DeserializeOwned>(place: &Map<String, Value>, key: &str) -> Vec<T> {
    place
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| serde_json::from_value(item.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every artifact the stage can bind.
pub(super) fn available(execution: &Execution, stage: &StageExecution) -> Vec<Artifact> {
    let mut all: Vec<Artifact> = Vec::new();
    for place in places(execution, stage) {
        for artifact in list::<Artifact>(place, "artifacts") {
            if !all.contains(&artifact) {
                all.push(artifact);
            }
        }
    }
    all
}

/// The artifact `choice` stands for in this execution.
pub(super) fn resolve(
    execution: &Execution,
    stage: &StageExecution,
    choice: &ArtifactChoice,
) -> Result<Artifact, PlanError> {
    let id = match choice {
        ArtifactChoice::Given(artifact) => return Ok((**artifact).clone()),
        ArtifactChoice::Expected(id) => id,
    };
    for place in places(execution, stage) {
        let expected: Vec<ExpectedArtifact> = list(place, "resolvedExpectedArtifacts");
        if let Some(found) = expected.into_iter().find(|e| &e.id == id) {
            let described = found.describe();
            return found.bound_artifact.ok_or_else(|| {
                PlanError::from(format!(
                    "expected artifact {described} was not bound to an artifact at the start"
                ))
            });
        }
    }
    let declared = execution
        .pipeline_config
        .expected_artifacts
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_string))
        .collect::<Vec<_>>();
    let message = if declared.is_empty() {
        format!(
            "no expected artifact has id {id:?}: the pipeline declares no expectedArtifacts; declare it there, or describe the artifact in the stage"
        )
    } else {
        format!(
            "no expected artifact has id {id:?} in this execution; the pipeline's are {}",
            declared.join(", ")
        )
    };
    Err(message.into())
}
