//! The JSON HTTP API for automation, under `/api/v1`. Handlers are thin: they parse the
//! request, call the same services the UI's server functions call, and map errors to status
//! codes. Every error body is `{"code": "...", "message": "...", "fields": [...]}`.

mod applications;
mod error;
mod events;
mod infrastructure;
mod tasks;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};

use crate::state::AppState;

pub use error::ApiError;

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new().nest(
        "/api/v1",
        applications::routes()
            .merge(infrastructure::routes())
            .merge(tasks::routes())
            .merge(events::routes()),
    )
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
