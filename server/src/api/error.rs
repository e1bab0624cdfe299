//! Errors of the JSON API, and how each becomes a status code and a JSON body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gennaker_app::error::{AppError, FieldError};
use serde::Serialize;

/// Why a request was refused.
#[derive(Debug)]
pub enum ApiError {
    /// The service refused it.
    App(AppError),
    /// The request could not be read (bad JSON, unknown field, bad query parameter).
    BadRequest(String),
    /// A change was sent without the version it was based on.
    VersionRequired,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError::App(error)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let none: &[FieldError] = &[];
        let (status, code, message, fields) = match &self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message.clone(), none),
            ApiError::VersionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "version_required",
                "Say which version your change is based on: an If-Match header with the version from GET, or ?version=N.".into(),
                none,
            ),
            ApiError::App(error) => {
                let message = error.to_string();
                match error {
                    AppError::Invalid(fields) => (StatusCode::BAD_REQUEST, "invalid", message, fields.as_slice()),
                    AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", message, none),
                    AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict", message, none),
                    AppError::Cluster(_) => (StatusCode::UNPROCESSABLE_ENTITY, "cluster_refused", message, none),
                    AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", message, none),
                    AppError::SignedOut(_) => (StatusCode::UNAUTHORIZED, "signed_out", message, none),
                    AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", message, none),
                    AppError::Transport(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", message, none),
                }
            }
        };
        (
            status,
            Json(Body {
                code,
                message,
                fields,
            }),
        )
            .into_response()
    }
}
