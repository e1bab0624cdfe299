//! Pipelines and executions over HTTP, in Spinnaker's JSON:
//!
//! - `GET /applications/{app}/pipelines`, `POST /pipelines` (create; keeps a given id), `POST
//!   /pipelines/import?application=&accounts=&dryRun=` (Spinnaker's exports, one or an array,
//!   never refused for what can be fixed later), `GET|PUT|DELETE /pipelines/{id}` (`ETag` / `If-Match` versions), `GET
//!   /pipelines/{id}/export` (the config exactly as Spinnaker writes it), history and restore;
//! - `POST /pipelines/{id}/executions` (start, with `parameters`), `GET /executions` (filters:
//!   `application`, `pipeline`, `status` (comma-separated), `limit`), `GET /executions/{id}`,
//!   `POST /executions/{id}/cancel|pause|resume`, `POST
//!   /executions/{id}/stages/{stage}/restart`, `POST /executions/{id}/stages/{stage}/judgment`,
//!   `POST /executions/{id}/stages/{stage}/skipWindow`,
//!   `POST /executions/{id}/evaluate` (`{"expression": "..."}`).

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use axum::Json;
use gennaker_app::error::AppError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus};
use gennaker_core::pipelines::import::{self, ImportOptions, ImportReport};
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Acting;
use super::Routes;
use super::Serve;
use super::versioned::{created, with_etag};
use super::{ApiError, VersionParam, base_version, json, path, query};

pub fn routes() -> Routes {
    Routes::default()
        .get("/applications/{app}/pipelines", list)
        .post("/pipelines", create)
        .post("/pipelines/import", import)
        .get("/pipelines/{id}", read)
        .put("/pipelines/{id}", update)
        .delete("/pipelines/{id}", remove)
        .get("/pipelines/{id}/export", export)
        .get("/pipelines/{id}/history", history)
        .post("/pipelines/{id}/history/{version}/restore", restore)
        .post("/pipelines/{id}/executions", start)
        .get("/executions", executions)
        .get("/executions/{id}", execution)
        .get("/executions/{id}/notifications", notifications)
        .get("/notification-channels", channels)
        .post("/executions/{id}/cancel", cancel)
        .post("/executions/{id}/pause", pause)
        .post("/executions/{id}/resume", resume)
        .post("/executions/{id}/stages/{stage}/restart", restart)
        .post("/executions/{id}/stages/{stage}/judgment", judge)
        .post("/executions/{id}/stages/{stage}/skipWindow", skip_window)
        .post("/executions/{id}/evaluate", evaluate)
}

/// The execution id in the path; a malformed one is a 404, like an unknown one.
/// Comma-separated Orca statuses (`RUNNING,NOT_STARTED`), each once; an unknown one is refused
/// as `field`, naming the known.
pub(crate) fn statuses(text: Option<&str>, field: &str) -> Result<Vec<ExecutionStatus>, ApiError> {
    let mut statuses = Vec::new();
    for name in text
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let status = ExecutionStatus::parse(name).ok_or_else(|| {
            AppError::invalid(
                field,
                format!(
                    "{name:?} is not a status; use {}.",
                    ExecutionStatus::ALL.map(|s| s.as_str()).join(", ")
                ),
            )
        })?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

pub(crate) fn execution_id(text: &str) -> Result<ExecutionId, ApiError> {
    ExecutionId::parse(text).map_err(|_| {
        ApiError::App(AppError::NotFound(format!(
            "There is no execution {text:?}."
        )))
    })
}

async fn list(
    Serve(services): Serve,
    Path(app): Path<String>,
) -> Result<Json<Vec<StoredPipeline>>, ApiError> {
    Ok(Json(services.pipelines.list(&app).await?))
}

async fn create(
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<PipelineConfig>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let config = json(body)?;
    let pipeline = services.pipelines.create(config, &who.0.name).await?;
    let location = format!("/api/v1/pipelines/{}", pipeline.config.id);
    Ok(created(location, pipeline))
}

async fn read(
    Serve(services): Serve,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(with_etag(services.pipelines.get(&id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportParams {
    #[serde(default)]
    application: String,
    #[serde(default)]
    dry_run: bool,
    /// `from:to,from:to`: account names as the pipelines write them, and the configured ones.
    #[serde(default)]
    accounts: String,
}

/// `from:to,from:to` as a map, or what is wrong with it.
fn account_map(text: &str) -> Result<BTreeMap<String, String>, ApiError> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once(':') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                Ok((from.trim().to_string(), to.trim().to_string()))
            }
            _ => Err(ApiError::BadRequest(format!(
                "accounts: {pair:?} is not from:to (write accounts=gke_project_zone_prod:prod,...)"
            ))),
        })
        .collect()
}

/// Imports one pipeline, or an array of them (a `pipelineConfigs` backup), into
/// `?application=`; answers what became of each.
async fn import(
    Serve(services): Serve,
    who: Acting,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let params = query(params)?;
    if params.application.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "application: name the application the pipelines join (?application=NAME)".into(),
        ));
    }
    let options = ImportOptions {
        application: params.application.trim().to_string(),
        accounts: account_map(&params.accounts)?,
        dry_run: params.dry_run,
    };
    let pipelines = import::split(json(body)?).map_err(|e| AppError::Invalid(vec![e]))?;
    let prepared = pipelines
        .into_iter()
        .map(|p| import::prepare(p, &options))
        .collect();
    Ok(Json(
        services
            .pipelines
            .import(prepared, options, &who.0.name)
            .await?
            .report,
    ))
}

async fn export(
    Serve(services): Serve,
    Path(id): Path<String>,
) -> Result<Json<PipelineConfig>, ApiError> {
    Ok(Json(services.pipelines.get(&id).await?.config))
}

async fn update(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
    body: Result<Json<PipelineConfig>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let version = base_version(&headers, query(params)?.version)?;
    let config = json(body)?;
    Ok(with_etag(
        services
            .pipelines
            .update(&id, version, config, &who.0.name)
            .await?,
    ))
}

async fn remove(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let version = base_version(&headers, query(params)?.version)?;
    services.pipelines.delete(&id, version, &who.0.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    Serve(services): Serve,
    Path(id): Path<String>,
) -> Result<Json<Vec<PipelineVersion>>, ApiError> {
    Ok(Json(services.pipelines.history(&id).await?))
}

async fn restore(
    Serve(services): Serve,
    segments: Result<Path<(String, u64)>, PathRejection>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, version) = path(segments)?;
    let expected = base_version(&headers, query(params)?.version)?;
    Ok(with_etag(
        services
            .pipelines
            .restore(&id, version, expected, &who.0.name)
            .await?,
    ))
}

async fn start(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let request = match body {
        Err(JsonRejection::MissingJsonContentType(_)) => StartRequest::default(),
        other => json(other)?,
    };
    let execution = services.pipelines.start(&id, request, &who.0.name).await?;
    let location = format!("/api/v1/executions/{}", execution.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(execution),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecutionParams {
    application: Option<String>,
    pipeline: Option<String>,
    /// Comma-separated statuses: `RUNNING,NOT_STARTED`.
    status: Option<String>,
    limit: Option<usize>,
}

async fn executions(
    Serve(services): Serve,
    params: Result<Query<ExecutionParams>, QueryRejection>,
) -> Result<Json<Vec<Execution>>, ApiError> {
    let params = query(params)?;
    let statuses = statuses(params.status.as_deref(), "status")?;
    let limit = params.limit.unwrap_or(25);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::App(AppError::invalid(
            "limit",
            format!("limit must be between 1 and 1000 (it is {limit})."),
        )));
    }
    Ok(Json(
        services
            .pipelines
            .executions(ExecutionFilter {
                application: params.application,
                pipeline: params.pipeline,
                statuses,
                limit,
                per_pipeline: false,
            })
            .await?,
    ))
}

async fn notifications(
    Serve(services): Serve,
    Path(id): Path<String>,
) -> Result<Json<Vec<gennaker_core::pipelines::notifications::Delivery>>, ApiError> {
    let id = execution_id(&id)?;
    // An unknown execution is a 404, not an empty list.
    services.pipelines.execution(id).await?;
    Ok(Json(services.pipelines.deliveries(id).await?))
}

async fn channels(
    Serve(services): Serve,
) -> Json<Vec<gennaker_core::pipelines::notifications::ChannelHealth>> {
    Json(services.pipelines.notification_channels())
}

async fn execution(
    Serve(services): Serve,
    Path(id): Path<String>,
) -> Result<Json<Execution>, ApiError> {
    Ok(Json(
        services.pipelines.execution(execution_id(&id)?).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelParams {
    reason: Option<String>,
}

async fn cancel(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
    params: Result<Query<CancelParams>, QueryRejection>,
) -> Result<Json<Execution>, ApiError> {
    let reason = query(params)?.reason;
    Ok(Json(
        services
            .pipelines
            .cancel(execution_id(&id)?, reason, &who.0.name)
            .await?,
    ))
}

async fn pause(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
) -> Result<Json<Execution>, ApiError> {
    Ok(Json(
        services
            .pipelines
            .pause(execution_id(&id)?, &who.0.name)
            .await?,
    ))
}

async fn resume(
    Serve(services): Serve,
    Path(id): Path<String>,
    who: Acting,
) -> Result<Json<Execution>, ApiError> {
    Ok(Json(
        services
            .pipelines
            .resume(execution_id(&id)?, &who.0.name)
            .await?,
    ))
}

async fn restart(
    Serve(services): Serve,
    segments: Result<Path<(String, String)>, PathRejection>,
    who: Acting,
) -> Result<Json<Execution>, ApiError> {
    let (id, stage) = path(segments)?;
    Ok(Json(
        services
            .pipelines
            .restart_stage(execution_id(&id)?, &stage, &who.0.name)
            .await?,
    ))
}

async fn skip_window(
    Serve(services): Serve,
    segments: Result<Path<(String, String)>, PathRejection>,
    who: Acting,
) -> Result<Json<Execution>, ApiError> {
    let (id, stage) = path(segments)?;
    Ok(Json(
        services
            .pipelines
            .skip_window(execution_id(&id)?, &stage, &who.0.name)
            .await?,
    ))
}

async fn judge(
    Serve(services): Serve,
    segments: Result<Path<(String, String)>, PathRejection>,
    who: Acting,
    body: Result<Json<Judgment>, JsonRejection>,
) -> Result<Json<Execution>, ApiError> {
    let (id, stage) = path(segments)?;
    let judgment = json(body)?;
    Ok(Json(
        services
            .pipelines
            .judge(execution_id(&id)?, &stage, judgment, &who.0)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateBody {
    expression: String,
}

async fn evaluate(
    Serve(services): Serve,
    Path(id): Path<String>,
    body: Result<Json<EvaluateBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json(body)?;
    let result = services
        .pipelines
        .evaluate(execution_id(&id)?, &body.expression)
        .await?;
    Ok(Json(json!({"result": result})))
}
