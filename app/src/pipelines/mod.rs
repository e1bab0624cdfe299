//! Pipelines' server functions. Their configurations, executions, validation and stage settings
//! are in `gennaker_core::pipelines`, re-exported here; the engine that runs them is on the
//! server (`server/src/pipelines/`).

pub use gennaker_core::pipelines::{
    execution, graph, import, json_lines, judgment, loops, model, notifications, reader, requests,
    stages, triggers, validate, windows, write,
};

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::{AppError, Handled};
use execution::Execution;
use gennaker_core::ids::ExecutionId;
use import::ImportReport;
use judgment::JudgmentView;
use model::PipelineConfig;
use requests::{ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline};

#[cfg(feature = "ssr")]
use crate::services::{acting_user, request_headers, request_parts, services};

#[cfg(feature = "ssr")]
fn who() -> String {
    acting_user(&request_parts())
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

/// Imports the pipelines of `text` (one as Spinnaker exports it, Deck's "Edit as JSON" copy,
/// or a `pipelineConfigs` array) into `application`, renaming `accounts`; with `dry_run`, only
/// says what would be imported and which accounts are not configured here.
#[server(input = Json)]
pub async fn import_pipelines(
    application: String,
    text: String,
    accounts: std::collections::BTreeMap<String, String>,
    dry_run: bool,
) -> Result<Handled<ImportReport>, AppError> {
    let pipelines = match import::read(&text) {
        Ok(pipelines) => pipelines,
        Err(problem) => return Ok(Err(AppError::Invalid(vec![problem]))),
    };
    let options = import::ImportOptions {
        application,
        accounts,
        dry_run,
    };
    let prepared = pipelines
        .into_iter()
        .map(|p| import::prepare(p, &options))
        .collect();
    Ok(services()?
        .pipelines
        .import(prepared, options, &who())
        .await
        .map(|imported| imported.report))
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

/// The Manual Judgment page's view of an execution: the judgment `stage` names (refId or id),
/// else the waiting one, else the last decided.
#[server]
pub async fn get_judgment(
    id: ExecutionId,
    stage: Option<String>,
) -> Result<Handled<JudgmentView>, AppError> {
    Ok(services()?
        .pipelines
        .execution(id)
        .await
        .map(|execution| JudgmentView::of(&execution, stage.as_deref())))
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

/// Ends a stage's wait for its execution window now.
#[server]
pub async fn skip_window(id: ExecutionId, stage: String) -> Result<Handled<Execution>, AppError> {
    Ok(services()?.pipelines.skip_window(id, &stage, &who()).await)
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
        .judge(
            id,
            &stage,
            judgment,
            &crate::services::principal(&request_parts()),
        )
        .await)
}

/// The next five runs of a CRON trigger, for the editor, or what is wrong with it.
#[server]
pub async fn cron_runs(
    expression: String,
    time_zone: String,
    id: String,
) -> Result<Handled<Vec<triggers::CronRun>>, AppError> {
    Ok(services()?
        .pipelines
        .cron_runs(&expression, &time_zone, &id)
        .await)
}

/// How the repositories of Docker Registry triggers were last looked at.
#[server]
pub async fn watched_repositories() -> Result<Vec<triggers::WatchedRepository>, AppError> {
    Ok(services()?.pipelines.watched_repositories().await)
}

/// The notifications sent for an execution.
#[server]
pub async fn execution_notifications(
    id: ExecutionId,
) -> Result<Vec<notifications::Delivery>, AppError> {
    services()?.pipelines.deliveries(id).await
}

/// How each notification channel has been doing.
#[server]
pub async fn notification_channels() -> Result<Vec<notifications::ChannelHealth>, AppError> {
    Ok(services()?.pipelines.notification_channels())
}

/// The names of the server's secrets (never their values).
#[server]
pub async fn secret_names() -> Result<Vec<String>, AppError> {
    Ok(services()?.pipelines.secret_names())
}

/// The service users a trigger may run as (`[[auth.service_users]]`).
#[server]
pub async fn service_user_names() -> Result<Vec<String>, AppError> {
    let services = services()?;
    Ok(services
        .policy
        .service_users
        .iter()
        .map(|u| u.name.clone())
        .collect())
}

/// Evaluates an expression against an execution (the execution view's box).
#[server]
pub async fn evaluate_expression(
    id: ExecutionId,
    expression: String,
) -> Result<Handled<serde_json::Value>, AppError> {
    Ok(services()?.pipelines.evaluate(id, &expression).await)
}

/// `text` as one segment of a URL's path or a value of its query string.
pub fn url_text(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The page where a Manual Judgment of execution `id` is decided; with `stage`, that one.
pub fn judgment_path(application: &str, id: &str, stage: Option<&str>) -> String {
    let page = format!(
        "/applications/{}/executions/{}/judgment",
        url_text(application),
        url_text(id)
    );
    match stage {
        Some(stage) => format!("{page}?stage={}", url_text(stage)),
        None => page,
    }
}

/// Whether the current server function was called by a plain HTML form (no script): the
/// browser then expects a page back, not data.
#[cfg(feature = "ssr")]
fn from_plain_form() -> bool {
    request_headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Records a Manual Judgment's decision from the approver's page. Its arguments are plain
/// text so that a real `<form method="post">` sends it, before the page's script has loaded
/// or without it; the browser is then sent back to the judgment page, which shows the decision
/// (or, when it was refused, the stage as it is now: decided by someone else, say).
#[server]
pub async fn decide_judgment(
    application: String,
    id: String,
    stage: String,
    decision: String,
    input: Option<String>,
) -> Result<Handled<()>, AppError> {
    if from_plain_form() {
        leptos_axum::redirect(&judgment_path(&application, &id, Some(&stage)));
    }
    let Ok(id) = ExecutionId::parse(&id) else {
        return Ok(Err(AppError::NotFound(format!(
            "There is no execution {id:?}."
        ))));
    };
    let judgment = Judgment {
        judgment_status: decision,
        judgment_input: input.filter(|i| !i.trim().is_empty()),
    };
    Ok(services()?
        .pipelines
        .judge(
            id,
            &stage,
            judgment,
            &crate::services::principal(&request_parts()),
        )
        .await
        .map(drop))
}

/// Reads the YAML (or JSON) text of a Deploy (Manifest) stage into the objects Spinnaker keeps
/// in `manifests`, for the editor: the browser reads JSON itself but carries no YAML reader.
#[server]
pub async fn read_manifests(text: String) -> Result<Handled<Vec<serde_json::Value>>, AppError> {
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
        match <serde_json::Value as serde::Deserialize>::deserialize(document) {
            Ok(serde_json::Value::Null) => {}
            Ok(value @ serde_json::Value::Object(_)) => documents.push(value),
            Ok(_) => {
                return Ok(Err(AppError::invalid(
                    "manifests",
                    format!("Document {} is not a Kubernetes object.", index + 1),
                )));
            }
            Err(error) => {
                return Ok(Err(AppError::invalid(
                    "manifests",
                    format!("Document {} is not valid YAML or JSON: {error}", index + 1),
                )));
            }
        }
    }
    Ok(Ok(documents))
}
