//! Turns a stage that may start into the steps of its task: the stage's settings are
//! evaluated (`${...}`) against the execution at that moment, read strictly, checked against
//! the accounts, and planned with the same step builders an operation uses. A stage that
//! cannot be planned (a bad expression, a missing field) fails with a message that names the
//! expression or the field.
//!
//! One module per stage type, named as in `gennaker_core::pipelines::stages` and the editor's
//! forms: each turns the stage's settings into its steps. Run Job and Script share `jobs`, the
//! stages that act on an object or a cluster share `targets`.

mod artifacts;
mod bake_manifest;
mod check_preconditions;
mod delete_manifest;
mod deploy;
mod deploy_manifest;
mod evaluate_variables;
mod find_image_from_cluster;
mod jenkins;
mod jobs;
mod manual_judgment;
mod pipeline;
mod resize_server_group;
mod rolling_restart_manifest;
mod run_job_manifest;
mod scale_down_cluster;
mod scale_manifest;
mod script;
mod server_group;
mod shrink_cluster;
mod targets;
mod undo_rollout_manifest;
mod wait;
mod webhook;

use std::time::Duration;

use gennaker_core::error::FieldError;
use gennaker_core::expressions;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, StageExecution};
use gennaker_core::pipelines::model::{Stage, StageType};
use gennaker_core::pipelines::stages::{self, StageSettings};
use gennaker_core::pipelines::validate::as_template;
use gennaker_core::pipelines::windows::{self, WINDOW_STEP};
use gennaker_core::tasks::model::{Step, StepAction};
use serde_json::{Map, Value, json};

use crate::jenkins::JenkinsMasters;
use crate::kubernetes::Kubernetes;
use crate::registries::DockerRegistries;

pub use deploy::rollback;

/// Why a stage cannot start (a bad expression, a missing field, an unknown account); the
/// message names the field or the expression and becomes the stage's `exception`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(String);

impl From<String> for PlanError {
    fn from(message: String) -> PlanError {
        PlanError(message)
    }
}

impl From<&str> for PlanError {
    fn from(message: &str) -> PlanError {
        PlanError(message.to_string())
    }
}

/// A stage ready to run.
pub struct Planned {
    /// The stage's settings, evaluated: its context from now on.
    pub context: Map<String, Value>,
    pub steps: Vec<Step>,
}

/// What a stage type's plan may look at besides its settings.
#[derive(Clone, Copy)]
pub(super) struct Planning<'a> {
    pub execution: &'a Execution,
    pub stage: &'a StageExecution,
    /// The id a Pipeline stage gives the execution it starts.
    pub child: ExecutionId,
    pub kubernetes: &'a Kubernetes,
    pub registries: &'a DockerRegistries,
    pub jenkins: &'a JenkinsMasters,
    /// Whether the stage sets its own timeout (then a long wait gets no default timeout).
    pub own_timeout: bool,
}

/// What expressions of a stage see: the stage's own context, the outputs of the stages that
/// ran before it (nearest last, so it wins), and `execution`, `trigger`, `parameters`.
pub fn expression_root(execution: &Execution, stage: &StageExecution) -> Value {
    let mut root = Map::new();
    for upstream in ancestors(execution, &stage.ref_id).iter().rev() {
        if let Some(s) = execution.stage(upstream) {
            root.extend(s.outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    root.extend(stage.context.iter().map(|(k, v)| (k.clone(), v.clone())));
    let execution_json = serde_json::to_value(execution).unwrap_or(Value::Null);
    root.insert("trigger".into(), execution_json["trigger"].clone());
    root.insert(
        "parameters".into(),
        Value::Object(execution.trigger.parameters.clone()),
    );
    root.insert("application".into(), json!(execution.application));
    root.insert("execution".into(), execution_json);
    Value::Object(root)
}

/// The stages `ref_id` depends on, directly or not, nearest first.
fn ancestors(execution: &Execution, ref_id: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut frontier = vec![ref_id.to_string()];
    while let Some(current) = frontier.pop() {
        if let Some(stage) = execution.stage(&current) {
            for requisite in &stage.requisite_stage_ref_ids {
                if !found.contains(requisite) {
                    found.push(requisite.clone());
                    frontier.insert(0, requisite.clone());
                }
            }
        }
    }
    found
}

/// Whether a conditional stage runs: its `stageEnabled` expression must be true. Orca skips
/// the stage when the expression is false or cannot be evaluated.
pub fn enabled(
    execution: &Execution,
    stage: &StageExecution,
    config: &Stage,
) -> Result<bool, PlanError> {
    let Some(expression) = config.enabled_expression() else {
        return Ok(true);
    };
    let root = expression_root(execution, stage);
    match expressions::evaluate(&as_template(expression), &root) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Ok(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Ok(other) => {
            Err(format!("its condition {expression} gave {other}, not true or false").into())
        }
        Err(error) => Err(format!("its condition could not be evaluated: {error}").into()),
    }
}

pub(super) fn problems(errors: Vec<FieldError>) -> String {
    errors
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The stage's own timeout in the (evaluated) context, when it overrides the default.
pub fn stage_timeout(context: &Map<String, Value>) -> Option<Duration> {
    let overridden = context.get("overrideTimeout").and_then(Value::as_bool) == Some(true);
    let ms = context.get("stageTimeoutMs").and_then(Value::as_u64)?;
    overridden.then(|| Duration::from_millis(ms))
}

/// Plans `stage` of `execution`; `child` is the id a Pipeline stage gives its execution.
pub fn plan(
    execution: &Execution,
    stage: &StageExecution,
    child: ExecutionId,
    kubernetes: &Kubernetes,
    registries: &DockerRegistries,
    jenkins: &JenkinsMasters,
) -> Result<Planned, PlanError> {
    let kind = StageType::parse(&stage.kind)
        .ok_or_else(|| format!("Gennaker does not run {} stages", stage.kind))?;
    let root = expression_root(execution, stage);
    // `skipExpressionEvaluation`: a Deploy (Manifest)'s manifests are applied as written.
    let mut settings = stage.context.clone();
    let skipped = (settings.get("skipExpressionEvaluation") == Some(&Value::Bool(true)))
        .then(|| settings.remove("manifests"))
        .flatten();
    let evaluated = expressions::evaluate_all(&Value::Object(settings), &root)
        .map_err(|e| format!("an expression could not be evaluated: {e}"))?;
    let Value::Object(mut context) = evaluated else {
        return Err("the stage's settings are not an object".into());
    };
    if let Some(manifests) = skipped {
        context.insert("manifests".into(), manifests);
    }
    let config = Stage {
        ref_id: stage.ref_id.clone(),
        requisite_stage_ref_ids: stage.requisite_stage_ref_ids.clone(),
        kind: stage.kind.clone(),
        name: stage.name.clone(),
        settings: context.clone(),
        ..Stage::default()
    };
    let mut errors = Vec::new();
    let settings = stages::read(kind, &config, "", false, &mut errors);
    if !errors.is_empty() {
        return Err(problems(errors).into());
    }
    let p = Planning {
        execution,
        stage,
        child,
        kubernetes,
        registries,
        jenkins,
        own_timeout: stage_timeout(&context).is_some(),
    };
    let p = &p;
    let steps = match settings {
        StageSettings::Wait(wait) => wait::plan(p, wait)?,
        StageSettings::ManualJudgment(judgment) => manual_judgment::plan(p, judgment)?,
        StageSettings::CheckPreconditions(checks) => check_preconditions::plan(p, checks)?,
        StageSettings::EvaluateVariables(variables) => evaluate_variables::plan(p, variables)?,
        StageSettings::Pipeline(run) => pipeline::plan(p, run)?,
        StageSettings::Webhook(webhook) => webhook::plan(p, webhook)?,
        StageSettings::DeployManifest(deploy) => deploy_manifest::plan(p, deploy)?,
        StageSettings::BakeManifest(bake) => bake_manifest::plan(p, *bake)?,
        StageSettings::DeleteManifest(target) => delete_manifest::plan(p, target)?,
        StageSettings::ScaleManifest(target, replicas) => {
            scale_manifest::plan(p, target, replicas)?
        }
        StageSettings::RollingRestartManifest(target) => rolling_restart_manifest::plan(p, target)?,
        StageSettings::UndoRolloutManifest(target, back) => {
            undo_rollout_manifest::plan(p, target, back)?
        }
        StageSettings::ResizeServerGroup(target, resize) => {
            resize_server_group::plan(p, target, resize)?
        }
        StageSettings::DisableServerGroup(target) => server_group::disable(p, target)?,
        StageSettings::EnableServerGroup(target) => server_group::enable(p, target)?,
        StageSettings::DestroyServerGroup(target) => server_group::destroy(p, target)?,
        StageSettings::FindImage(find) => find_image_from_cluster::plan(p, find)?,
        StageSettings::Jenkins(build) => jenkins::plan(p, build)?,
        StageSettings::RunJob(run) => run_job_manifest::plan(p, run)?,
        StageSettings::Script(script) => script::plan(p, script)?,
        StageSettings::ScaleDownCluster(cleanup) => scale_down_cluster::plan(p, cleanup)?,
        StageSettings::ShrinkCluster(cleanup) => shrink_cluster::plan(p, cleanup)?,
        StageSettings::Deploy(clusters) => deploy::plan(p, clusters)?,
    };
    let mut window_problems = Vec::new();
    let window = windows::read(&config, "", false, &mut window_problems);
    if !window_problems.is_empty() {
        return Err(problems(window_problems).into());
    }
    let steps = match window {
        Some((window, jitter)) => {
            crate::tasks::windows::zone(&window.time_zone).map_err(|e| e.to_string())?;
            let manual = execution.trigger.kind == "manual";
            let jitter_seconds = jitter
                .filter(|j| !(j.skip_manual && manual))
                .map_or(0, |j| fastrand::u64(j.min_seconds..=j.max_seconds));
            let mut all = vec![Step::new(
                WINDOW_STEP,
                StepAction::ExecutionWindow {
                    window,
                    jitter_seconds,
                },
            )];
            all.extend(steps);
            all
        }
        None => steps,
    };
    Ok(Planned { context, steps })
}
