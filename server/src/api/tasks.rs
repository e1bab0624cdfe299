//! `/api/v1/tasks`: start an operation (`POST`, answered 202 with the task), list, follow and
//! cancel tasks.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use axum::Json;
use gennaker_app::error::AppError;
use gennaker_core::ids::TaskId;
use gennaker_core::tasks::model::{Operation, Task};
use serde::Deserialize;

use super::Acting;
use super::Routes;
use super::Serve;
use super::{ApiError, json, path, query};

pub fn routes() -> Routes {
    Routes::default()
        .get("/tasks", list)
        .post("/tasks", submit)
        .get("/tasks/{id}", read)
        .post("/tasks/{id}/cancel", cancel)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    application: Option<String>,
    /// How many of the newest tasks (default 100, at most 1000).
    limit: Option<usize>,
}

const MAX_LIMIT: usize = 1000;

async fn list(
    Serve(services): Serve,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Vec<Task>>, ApiError> {
    let params = query(params)?;
    let limit = params.limit.unwrap_or(gennaker_app::tasks::LIST_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::App(AppError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT} (it is {limit})."),
        )));
    }
    Ok(Json(
        services
            .tasks
            .list(params.application.as_deref(), limit)
            .await?,
    ))
}

async fn submit(
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<Operation>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let operation = json(body)?;
    let task = services.tasks.submit(operation, &who.0.name).await?;
    let location = format!("/api/v1/tasks/{}", task.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(task),
    ))
}

async fn read(
    Serve(services): Serve,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(services.tasks.get(task_id(id)?).await?))
}

async fn cancel(
    Serve(services): Serve,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Task>, ApiError> {
    Ok(Json(services.tasks.cancel(task_id(id)?).await?))
}

/// The task id in the path; a malformed one is a 404, like an unknown one.
fn task_id(id: Result<Path<String>, PathRejection>) -> Result<TaskId, ApiError> {
    let text = path(id)?;
    TaskId::parse(&text)
        .map_err(|_| ApiError::App(AppError::NotFound(format!("There is no task {text:?}."))))
}
