//! The JSON HTTP API for automation, under `/api/v1`. Handlers are thin: they parse the
//! request, call the same services the UI's server functions call, and map errors to status
//! codes. Every error body is `{"code": "...", "message": "...", "fields": [...]}`.

mod applications;
mod error;

use axum::Router;

use crate::state::AppState;

pub use error::ApiError;

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new().nest("/api/v1", applications::routes())
}
