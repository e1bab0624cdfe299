//! Starting an execution: refused with every reason when the pipeline cannot run (disabled,
//! blocked, parameters missing, a chain of pipelines too deep), queued when its pipeline limits
//! concurrent executions; and the child executions Pipeline stages start.

use std::sync::Arc;

use gennaker_core::error::FieldError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::artifacts::{self, Artifact, ExpectedArtifact};
use gennaker_core::pipelines::execution::{
    Execution, ExecutionStatus, ExecutionTrigger, ParentExecution, StageExecution,
};
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::StartRequest;
use gennaker_core::pipelines::validate;
use gennaker_core::time::Timestamp;
use serde_json::{Map, Value};

use super::PipelineEngine;
use crate::pipelines::error::Error;
use crate::pipelines::rules;
use crate::tasks::steps::{ChildError, ChildPipelines};

/// How many executions may start one another in a chain (a Pipeline stage's child is one
/// deeper than its parent, a Pipeline trigger's execution one deeper than the one that ended).
pub const MAX_CHAIN_DEPTH: usize = 16;

/// The execution whose ending started this one through a Pipeline trigger.
fn triggered_by(trigger: &ExecutionTrigger) -> Option<ExecutionId> {
    if trigger.kind != "pipeline" {
        return None;
    }
    trigger
        .extra
        .get("parentExecution")?
        .get("id")?
        .as_str()?
        .parse()
        .ok()
}

impl PipelineEngine {
    /// Starts an execution of `config`: refused, with every reason, when it cannot run.
    pub async fn start(
        &self,
        config: PipelineConfig,
        request: StartRequest,
        trigger: ExecutionTrigger,
        id: Option<ExecutionId>,
        parent: Option<ParentExecution>,
    ) -> Result<Execution, Error> {
        if let Some(id) = id
            && let Some(existing) = self.executions.get(id).await?
        {
            return Ok(existing);
        }
        if config.is_disabled() {
            return Err(Error::NotStartable(format!(
                "Pipeline {:?} is disabled; enable it to start it.",
                config.name
            )));
        }
        Error::from_fields(validate::blockers(&config))?;
        // An imported pipeline is kept with what it needs fixed; it never half-runs.
        Error::from_fields(self.configs.problems(&config))?;
        let first_parent = parent
            .as_ref()
            .map(|p| p.id)
            .or_else(|| triggered_by(&trigger));
        self.check_depth(&config, first_parent).await?;
        let parameters = resolve_parameters(&config, request.parameters)?;
        let mut trigger = trigger;
        self.bind_artifacts(&config, &mut trigger, request.artifacts)
            .await?;
        let now = Timestamp::now();
        let id = id.unwrap_or_else(ExecutionId::new);
        let queued = rules::should_queue(&config, self.active(&config.id).await)
            || (config.limits_concurrency() && !self.waiting(&config.id).await.is_empty());
        let execution = Execution {
            kind: "PIPELINE".into(),
            id,
            application: config.application.clone(),
            name: config.name.clone(),
            pipeline_config_id: config.id.clone(),
            status: if queued {
                ExecutionStatus::NotStarted
            } else {
                ExecutionStatus::Running
            },
            build_time: now,
            start_time: (!queued).then_some(now),
            end_time: None,
            canceled: false,
            canceled_by: None,
            cancellation_reason: None,
            paused: None,
            limit_concurrent: config.limits_concurrency(),
            keep_waiting_pipelines: config.keeps_waiting(),
            max_concurrent_executions: config.max_concurrent_executions.unwrap_or(0),
            trigger: ExecutionTrigger {
                parameters,
                ..trigger
            },
            stages: config
                .stages
                .iter()
                .enumerate()
                .map(|(i, s)| StageExecution::from_config(s, format!("{}-{}", id, i + 1)))
                .collect(),
            origin: "api".into(),
            pipeline_config: Arc::new(config),
            parent_execution: parent,
        };
        let execution = self.executions.insert(execution).await?;
        tracing::info!(execution.id = %execution.id, queued, "started an execution of {}", execution.name);
        self.publish(&execution);
        self.poke(execution.id);
        Ok(execution)
    }

    /// Binds the pipeline's expected artifacts (those the trigger's `expectedArtifactIds` names,
    /// or all of them when it names none, as a manual start does) to the artifacts the trigger
    /// brought and `given`, the previous execution's, or their defaults (see
    /// [`artifacts::resolve`]); the trigger then carries `artifacts` and
    /// `resolvedExpectedArtifacts`. An expected artifact nothing gives refuses the start.
    async fn bind_artifacts(
        &self,
        config: &PipelineConfig,
        trigger: &mut ExecutionTrigger,
        given: Vec<Value>,
    ) -> Result<(), Error> {
        let refuse = |message: String| Error::NotStartable(message);
        let mut received: Vec<Value> = trigger
            .extra
            .get("artifacts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let given_any = !given.is_empty();
        received.extend(given);
        let raw = received.clone();
        let received: Vec<Artifact> =
            artifacts::read(&received, "trigger.artifacts").map_err(refuse)?;
        let listed = config.expected_artifacts.clone().unwrap_or_default();
        let mut expected: Vec<ExpectedArtifact> =
            artifacts::read(&listed, "expectedArtifacts").map_err(refuse)?;
        let wanted: Vec<&str> = trigger
            .extra
            .get("expectedArtifactIds")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !wanted.is_empty() {
            expected.retain(|e| wanted.contains(&e.id.as_str()));
        }
        if expected.is_empty() {
            // Nothing to bind: what the trigger brought stays as it came.
            if given_any {
                trigger.extra.insert("artifacts".into(), Value::Array(raw));
            }
            return Ok(());
        }
        let prior = if expected.iter().any(|e| e.use_prior_artifact) {
            self.prior_artifacts(config).await
        } else {
            Vec::new()
        };
        let resolved = artifacts::resolve(expected, received, &prior).map_err(refuse)?;
        trigger
            .extra
            .insert("artifacts".into(), json_of(&resolved.artifacts));
        trigger.extra.insert(
            "resolvedExpectedArtifacts".into(),
            json_of(&resolved.expected),
        );
        Ok(())
    }

    /// The artifacts of the pipeline's newest execution (its trigger's), for
    /// `usePriorArtifact`.
    async fn prior_artifacts(&self, config: &PipelineConfig) -> Vec<Artifact> {
        let group = format!("{}/{}", config.application, config.id);
        let newest = match self.executions.list(Some(&group), 1).await {
            Ok(newest) => newest,
            Err(error) => {
                tracing::warn!(pipeline.id = %config.id, "cannot read the previous execution's artifacts: {error}");
                return Vec::new();
            }
        };
        newest
            .first()
            .and_then(|e| e.trigger.extra.get("artifacts"))
            .and_then(Value::as_array)
            .and_then(|list| artifacts::read(list, "artifacts").ok())
            .unwrap_or_default()
    }

    /// Refuses a start that would make the chain of executions starting one another (Pipeline
    /// stages and Pipeline triggers, from `parent` up) deeper than [`MAX_CHAIN_DEPTH`]: a loop
    /// that saving could not see (a trigger closing it, an expression naming the pipeline)
    /// ends there instead of starting executions without end. Walks the store iteratively and
    /// reads at most that many executions.
    async fn check_depth(
        &self,
        config: &PipelineConfig,
        parent: Option<ExecutionId>,
    ) -> Result<(), Error> {
        let mut chain = vec![config.name.clone()];
        let mut next = parent;
        while let Some(id) = next {
            if chain.len() >= MAX_CHAIN_DEPTH {
                chain.reverse();
                return Err(Error::NotStartable(format!(
                    "Pipeline {:?} is not started: it would be more than {MAX_CHAIN_DEPTH} executions deep in a chain of pipelines starting one another (… {}). A Pipeline stage or Pipeline trigger closes a loop; change one of them.",
                    config.name,
                    chain[chain.len().saturating_sub(6)..].join(" → ")
                )));
            }
            let Ok(Some(execution)) = self.executions.get(id).await else {
                break; // removed by retention: the chain is known no further
            };
            chain.push(execution.name.clone());
            next = execution
                .parent_execution
                .as_ref()
                .map(|p| p.id)
                .or_else(|| triggered_by(&execution.trigger));
        }
        Ok(())
    }
}

/// The parameters an execution runs with: the given ones, defaults for the rest; a required
/// one missing or a value outside its options is refused (`parameters.<name>`).
pub fn resolve_parameters(
    config: &PipelineConfig,
    given: Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    let mut parameters = given;
    let mut problems = Vec::new();
    for parameter in config.parameters() {
        let field = format!("parameters.{}", parameter.name);
        let value = match parameters.get(&parameter.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let value = if value.is_empty() {
            parameter.default.clone().unwrap_or_default()
        } else {
            value
        };
        if value.is_empty() && parameter.is_required() {
            problems.push(FieldError::new(
                &field,
                format!("{} is required.", parameter.title()),
            ));
            continue;
        }
        if let Some(choices) = parameter.choices()
            && !value.is_empty()
            && !choices.contains(&value.as_str())
        {
            problems.push(FieldError::new(
                &field,
                format!(
                    "{} must be one of {} (it is {value:?}).",
                    parameter.title(),
                    choices.join(", ")
                ),
            ));
            continue;
        }
        parameters.insert(parameter.name.clone(), Value::String(value));
    }
    Error::from_fields(problems)?;
    Ok(parameters)
}

#[async_trait::async_trait]
impl ChildPipelines for PipelineEngine {
    async fn start_child(
        &self,
        child: ExecutionId,
        application: &str,
        pipeline: &str,
        parameters: &Map<String, Value>,
        parent: (ExecutionId, &str),
        user: &str,
    ) -> Result<(), ChildError> {
        if self.executions.get(child).await.ok().flatten().is_some() {
            return Ok(());
        }
        // A parent canceled while this step was on its way starts nothing: its cancel has
        // already looked for children to stop.
        let parent_execution = self.executions.get(parent.0).await;
        if let Ok(Some(parent_execution)) = parent_execution
            && parent_execution.canceled
        {
            return Err(ChildError::ParentCanceled(parent.0));
        }
        let config = self
            .configs
            .find(application, pipeline)
            .await
            .map_err(|e| ChildError::NotStarted(Box::new(e)))?
            .config;
        self.start(
            config,
            StartRequest {
                parameters: parameters.clone(),
                ..StartRequest::default()
            },
            ExecutionTrigger {
                kind: "pipeline".into(),
                user: user.to_string(),
                ..ExecutionTrigger::default()
            },
            Some(child),
            Some(ParentExecution {
                id: parent.0,
                stage_ref_id: parent.1.to_string(),
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| ChildError::NotStarted(Box::new(e)))
    }

    async fn child_status(&self, child: ExecutionId) -> Option<(ExecutionStatus, Option<String>)> {
        let execution = self.executions.get(child).await.ok().flatten()?;
        let reason = execution
            .stages
            .iter()
            .find_map(StageExecution::failure)
            .or(execution.cancellation_reason.clone());
        Some((execution.status, reason))
    }

    async fn expression_root(&self, execution: ExecutionId, stage_ref_id: &str) -> Option<Value> {
        let execution = self.executions.get(execution).await.ok().flatten()?;
        let stage = execution.stage(stage_ref_id)?;
        Some(crate::pipelines::stages::expression_root(&execution, stage))
    }
}

/// Artifacts as the trigger keeps them (their serialization cannot fail: maps and text).
fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gennaker_app::error::AppError;
    use serde_json::json;

    #[test]
    fn parameters_take_defaults_and_respect_options() {
        let config: PipelineConfig = serde_json::from_value(json!({
            "application": "web", "name": "p", "stages": [],
            "parameterConfig": [
                {"name": "env", "required": true, "hasOptions": true,
                 "options": [{"value": "staging"}, {"value": "prod"}]},
                {"name": "tag", "default": "latest"}
            ]
        }))
        .unwrap();
        let ok = resolve_parameters(
            &config,
            serde_json::from_value(json!({"env": "prod"})).unwrap(),
        )
        .unwrap();
        assert_eq!(Value::Object(ok), json!({"env": "prod", "tag": "latest"}));
        let missing = AppError::from(resolve_parameters(&config, Map::new()).unwrap_err());
        assert_eq!(
            missing.field_message("parameters.env").as_deref(),
            Some("env is required.")
        );
        let wrong = AppError::from(
            resolve_parameters(
                &config,
                serde_json::from_value(json!({"env": "dev"})).unwrap(),
            )
            .unwrap_err(),
        );
        assert!(
            wrong
                .field_message("parameters.env")
                .is_some_and(|m| m.contains("staging, prod"))
        );
    }
}
