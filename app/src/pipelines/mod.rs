//! Pipelines: configurations and executions in Spinnaker's JSON, their validation, and the
//! settings of each stage type Gennaker runs. The engine that runs them is on the server
//! (`server/src/pipelines/`), on the same task runner as every other change.

pub mod execution;
pub mod model;
pub mod reader;
pub mod requests;
pub mod stages;
pub mod validate;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::{AppError, Handled};
use crate::ids::ExecutionId;
use execution::Execution;
use model::PipelineConfig;
use requests::{ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline};

#[cfg(feature = "ssr")]
use crate::services::{acting_user, request_headers, services};

#[cfg(feature = "ssr")]
fn who() -> String {
    acting_user(&request_headers())
}

/// The application's pipelines.
#[server]
pub async fn list_pipelines(application: String) -> Result<Vec<StoredPipeline>, AppError> {
    services()?.pipelines.list(&application).await
}

#[server]
pub async fn get_pipeline(id: String) -> Result<Handled<StoredPipeline>, AppError> {
    Ok(services()?.pipelines.get(&id).await)
}

/// Creates a pipeline, or imports one (keeping its id).
#[server(input = Json)]
pub async fn create_pipeline(config: PipelineConfig) -> Result<Handled<StoredPipeline>, AppError> {
    Ok(services()?.pipelines.create(config, &who()).await)
}

/// Saves `config` if the pipeline is still at `version`.
#[server(input = Json)]
pub async fn save_pipeline(
    id: String,
    version: u64,
    config: PipelineConfig,
) -> Result<Handled<StoredPipeline>, AppError> {
    Ok(services()?
        .pipelines
        .update(&id, version, config, &who())
        .await)
}

#[server]
pub async fn delete_pipeline(id: String, version: u64) -> Result<Handled<()>, AppError> {
    Ok(services()?.pipelines.delete(&id, version, &who()).await)
}

#[server]
pub async fn pipeline_history(id: String) -> Result<Handled<Vec<PipelineVersion>>, AppError> {
    Ok(services()?.pipelines.history(&id).await)
}

#[server]
pub async fn restore_pipeline(
    id: String,
    version: u64,
    expected_version: u64,
) -> Result<Handled<StoredPipeline>, AppError> {
    Ok(services()?
        .pipelines
        .restore(&id, version, expected_version, &who())
        .await)
}

/// "Start Manual Execution".
#[server(input = Json)]
pub async fn start_execution(
    id: String,
    request: StartRequest,
) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.start(&id, request, &who()).await)
}

/// Executions, newest first.
#[server(input = Json)]
pub async fn list_executions(filter: ExecutionFilter) -> Result<Vec<Execution>, AppError> {
    services()?.pipelines.executions(filter).await
}

#[server]
pub async fn get_execution(id: ExecutionId) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.execution(id).await)
}

#[server]
pub async fn cancel_execution(
    id: ExecutionId,
    reason: Option<String>,
) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.cancel(id, reason, &who()).await)
}

#[server]
pub async fn pause_execution(id: ExecutionId) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.pause(id, &who()).await)
}

#[server]
pub async fn resume_execution(id: ExecutionId) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.resume(id, &who()).await)
}

/// Runs a finished stage (by id or refId) again, with everything downstream of it.
#[server]
pub async fn restart_stage(id: ExecutionId, stage: String) -> Result<Handled<Execution>, AppError> {
    Ok(services()?
        .pipelines
        .restart_stage(id, &stage, &who())
        .await)
}

/// Records a Manual Judgment's decision.
#[server]
pub async fn judge_stage(
    id: ExecutionId,
    stage: String,
    judgment: Judgment,
) -> Result<Handled<Execution>, AppError> {
    Ok(services()?
        .pipelines
        .judge(id, &stage, judgment, &who())
        .await)
}

/// Evaluates an expression against an execution (the execution view's box).
#[server]
pub async fn evaluate_expression(
    id: ExecutionId,
    expression: String,
) -> Result<Handled<serde_json::Value>, AppError> {
    Ok(services()?.pipelines.evaluate(id, &expression).await)
}
