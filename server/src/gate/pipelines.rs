//! Gate's pipelines and executions: configurations by application and name (`spin pipeline
//! save/get/list/delete`), a manual start (with parameters and artifacts) answered `202`, the executions of pipelines or by id
//! (`spin pipeline execution list/get`), and cancelling one. Pipelines and executions are
//! Spinnaker's JSON already; a save is as strict as the editor's.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gennaker_app::error::AppError;
use gennaker_app::services::Services;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{ExecutionFilter, StartRequest, StoredPipeline};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::pipelines::{execution_id, statuses};
use crate::api::{Acting, ApiError, Routes, Serve, json, query};

/// The most executions one list answers.
const MOST: usize = 1000;

pub fn routes() -> Routes {
    // The first segment after /pipelines is an application for some routes and an execution
    // id for others; the router needs one name for it.
    Routes::default()
        .get("/applications/{app}/pipelineConfigs", configs)
        .get("/applications/{app}/pipelineConfigs/{name}", config)
        .post("/pipelines", save)
        .delete("/pipelines/{id}/{name}", remove)
        .post("/pipelines/{id}/{name}", invoke)
        .get("/pipelines/{id}", execution)
        .put("/pipelines/{id}/cancel", cancel)
        .get("/executions", executions)
        .get("/applications/{app}/pipelines", application_executions)
        .put(
            "/applications/{app}/pipelines/{id}/cancel",
            cancel_in_application,
        )
}

/// The application's pipeline called `name`, or a 404 saying so.
async fn named(
    services: &Services,
    application: &str,
    name: &str,
) -> Result<StoredPipeline, AppError> {
    services
        .pipelines
        .list(application)
        .await?
        .into_iter()
        .find(|p| p.config.name == name)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Application {application} has no pipeline named {name:?}."
            ))
        })
}

async fn configs(
    Serve(services): Serve,
    Path(app): Path<String>,
) -> Result<Json<Vec<PipelineConfig>>, ApiError> {
    let list = services.pipelines.list(&app).await?;
    Ok(Json(list.into_iter().map(|p| p.config).collect()))
}

async fn config(
    Serve(services): Serve,
    Path((app, name)): Path<(String, String)>,
) -> Result<Json<PipelineConfig>, ApiError> {
    Ok(Json(named(&services, &app, &name).await?.config))
}

/// `POST /pipelines`: saves by id, or by name within the application when the id is not
/// stored; a new pipeline otherwise. As Front50 does, the last save wins: Gate sends no
/// version to compare.
async fn save(
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let body = json(body)?;
    let mut config: PipelineConfig = serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("The body is not a pipeline: {e}")))?;
    let who = &who.0.name;
    let stored = match services.pipelines.get(&config.id).await {
        Ok(stored) if !config.id.is_empty() => Some(stored),
        _ => named(&services, &config.application, &config.name)
            .await
            .ok(),
    };
    match stored {
        Some(stored) => {
            config.id = stored.config.id.clone();
            services
                .pipelines
                .update(&stored.config.id, stored.version, config, who)
                .await?;
        }
        None => {
            services.pipelines.create(config, who).await?;
        }
    }
    Ok(StatusCode::OK)
}

async fn remove(
    Serve(services): Serve,
    who: Acting,
    Path((app, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let stored = named(&services, &app, &name).await?;
    services
        .pipelines
        .delete(&stored.config.id, stored.version, &who.0.name)
        .await?;
    Ok(StatusCode::OK)
}

/// `POST /pipelines/{app}/{name or id}` with the trigger `spin pipeline execute` sends.
async fn invoke(
    Serve(services): Serve,
    who: Acting,
    Path((app, name)): Path<(String, String)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let trigger = match body {
        Err(JsonRejection::MissingJsonContentType(_)) => Value::Object(Map::new()),
        other => json(other)?,
    };
    let parameters = match trigger.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(parameters)) => parameters.clone(),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "parameters must be an object of names and values, not {other}"
            )));
        }
    };
    let artifacts = match trigger.get("artifacts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(artifacts)) => artifacts.clone(),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "artifacts must be a list of artifacts, not {other}"
            )));
        }
    };
    let stored = match services.pipelines.get(&name).await {
        Ok(stored) if stored.config.application == app => stored,
        _ => named(&services, &app, &name).await?,
    };
    let execution = services
        .pipelines
        .start(
            &stored.config.id,
            StartRequest {
                parameters,
                artifacts,
            },
            &who.0.name,
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "ref": format!("/pipelines/{}", execution.id) })),
    ))
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
struct CancelParams {
    reason: Option<String>,
}

async fn cancel(
    Serve(services): Serve,
    who: Acting,
    Path(id): Path<String>,
    params: Result<Query<CancelParams>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let reason = query(params)?.reason;
    services
        .pipelines
        .cancel(execution_id(&id)?, reason, &who.0.name)
        .await?;
    Ok(StatusCode::OK)
}

async fn cancel_in_application(
    Serve(services): Serve,
    who: Acting,
    Path((app, id)): Path<(String, String)>,
    params: Result<Query<CancelParams>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let reason = query(params)?.reason;
    let id = execution_id(&id)?;
    let execution = services.pipelines.execution(id).await?;
    if execution.application != app {
        return Err(AppError::NotFound(format!("Application {app} has no execution {id}.")).into());
    }
    services.pipelines.cancel(id, reason, &who.0.name).await?;
    Ok(StatusCode::OK)
}

fn limit(given: Option<usize>, default: usize) -> Result<usize, ApiError> {
    let limit = given.unwrap_or(default);
    if !(1..=MOST).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("limit must be between 1 and {MOST} (it is {limit})."),
        )
        .into());
    }
    Ok(limit)
}

fn ids(text: Option<&str>) -> Vec<&str> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionsParams {
    pipeline_config_ids: Option<String>,
    execution_ids: Option<String>,
    statuses: Option<String>,
    limit: Option<usize>,
}

/// `GET /executions`: the newest `limit` (1 unless given) of each pipeline in
/// `pipelineConfigIds` with one of `statuses`, or the executions `executionIds` names (then
/// statuses are not looked at), as Gate answers. Neither gives an empty list; both, a 400.
async fn executions(
    Serve(services): Serve,
    params: Result<Query<ExecutionsParams>, QueryRejection>,
) -> Result<Json<Vec<Execution>>, ApiError> {
    let params = query(params)?;
    let (pipelines, executions) = (
        ids(params.pipeline_config_ids.as_deref()),
        ids(params.execution_ids.as_deref()),
    );
    if !pipelines.is_empty() && !executions.is_empty() {
        return Err(ApiError::BadRequest(
            "Give pipelineConfigIds or executionIds, not both.".into(),
        ));
    }
    let limit = limit(params.limit, 1)?;
    let statuses = statuses(params.statuses.as_deref(), "statuses")?;
    if pipelines.len().max(executions.len()) > MOST {
        return Err(ApiError::BadRequest(format!(
            "At most {MOST} ids may be asked for at once."
        )));
    }
    let mut found = Vec::new();
    for id in executions {
        match services.pipelines.execution(execution_id(id)?).await {
            Ok(execution) => found.push(execution),
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    for pipeline in pipelines {
        let stored = match services.pipelines.get(pipeline).await {
            Ok(stored) => stored,
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        found.extend(
            services
                .pipelines
                .executions(ExecutionFilter {
                    application: Some(stored.config.application),
                    pipeline: Some(stored.config.id),
                    statuses: statuses.clone(),
                    limit,
                    per_pipeline: false,
                })
                .await?,
        );
    }
    Ok(Json(found))
}

#[derive(Debug, Deserialize)]
struct ApplicationParams {
    statuses: Option<String>,
    limit: Option<usize>,
}

/// `GET /applications/{app}/pipelines`: the application's newest executions (10 unless
/// `limit` says).
async fn application_executions(
    Serve(services): Serve,
    Path(app): Path<String>,
    params: Result<Query<ApplicationParams>, QueryRejection>,
) -> Result<Json<Vec<Execution>>, ApiError> {
    let params = query(params)?;
    services.applications.get(&app).await?;
    Ok(Json(
        services
            .pipelines
            .executions(ExecutionFilter {
                application: Some(app),
                pipeline: None,
                statuses: statuses(params.statuses.as_deref(), "statuses")?,
                limit: limit(params.limit, 10)?,
                per_pipeline: false,
            })
            .await?,
    ))
}
