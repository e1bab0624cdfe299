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

/// The longest request target (path and query) the JSON API takes, in bytes. Longer ones are
/// answered 414 in the API's JSON shape. (Past 64 KiB the HTTP parser answers 414 itself,
/// before any of Gennaker's code sees the request.)
pub const LONGEST_URI: usize = 8 * 1024;

/// Under `/api/v1`, every answer that is an error has the API's JSON shape (`code`, `message`),
/// also the ones the router and the HTTP layer make (an unknown path, a method a path does
/// not take, a body too large, an address too long), which would otherwise be empty or the
/// UI's HTML page.
pub async fn json_errors(
    axum::extract::State(gate): axum::extract::State<std::sync::Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Only the JSON APIs, `/api/v1` and Gate's: the UI's server functions (`/api/<name>`)
    // answer in their own encoding, which the browser decodes.
    let path = request.uri().path();
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if !(under("/api/v1") || under(&gate)) {
        return next.run(request).await;
    }
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length > LONGEST_URI {
        return plain(
            StatusCode::URI_TOO_LONG,
            format!(
                "The request's address is {length} bytes long; the API takes at most {LONGEST_URI}. Send long values in the body."
            ),
        );
    }
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let message = match status {
        StatusCode::NOT_FOUND => format!(
            "There is no API route {path}; the routes are listed in the README (under /api/v1, and Gate's)."
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not take {method}; see the README for its methods.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The request's body is larger than the API takes; send less at once.".to_string()
        }
        other => {
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .ok()
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .filter(|b| !b.is_empty());
            let mut answer = plain(
                other,
                body.unwrap_or_else(|| {
                    other
                        .canonical_reason()
                        .unwrap_or("The request failed")
                        .to_string()
                }),
            );
            // Keep what tells the client how to go on (a sign-in challenge, a retry time).
            for name in [
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::header::RETRY_AFTER,
            ] {
                if let Some(value) = headers.get(&name) {
                    answer.headers_mut().insert(name, value.clone());
                }
            }
            return answer;
        }
    };
    plain(status, message)
}

/// An error answer in the API's JSON shape, its code named from `status`.
pub fn plain(status: StatusCode, message: String) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "signed_out",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    (
        status,
        Json(Body {
            code,
            message,
            fields: &[],
        }),
    )
        .into_response()
}
