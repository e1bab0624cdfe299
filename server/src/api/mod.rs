//! The JSON HTTP API for automation, under `/api/v1`. Handlers are thin: they parse the
//! request, call the same services the UI's server functions call, and map errors to status
//! codes. Every error body is `{"code": "...", "message": "...", "fields": [...]}`.

mod applications;
mod error;
mod events;
mod infrastructure;
mod pipelines;
mod tasks;
mod versioned;
mod webhooks;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::http::{HeaderMap, header};
use serde::Deserialize;

use crate::state::AppState;

pub use error::ApiError;

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .nest(
            "/api/v1",
            applications::routes()
                .merge(infrastructure::routes())
                .merge(pipelines::routes())
                .merge(tasks::routes())
                .merge(events::routes())
                .merge(webhooks::routes()),
        )
        .merge(webhooks::hooks())
}

/// The body, or a 400 saying what is wrong with it.
fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

fn path<T>(params: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    params
        .map(|Path(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionParam {
    version: Option<u64>,
}

/// The version a change is based on: `If-Match: "3"` (or `3`), else `?version=3`.
fn base_version(headers: &HeaderMap, param: Option<u64>) -> Result<u64, ApiError> {
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value
            .to_str()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        return text.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "If-Match must be a version number such as \"3\", not {text:?}"
            ))
        });
    }
    param.ok_or(ApiError::VersionRequired)
}
