//! `/api/v1/audit`: the audit log, newest first, filtered by `user`, `application` and
//! `action`, at most `limit` entries (500 unless asked). `format=jsonl` (or `Accept:
//! application/x-ndjson`) answers JSON lines, one entry a line, as a download.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use gennaker_app::audit::AuditFilter;
use serde::Deserialize;

use super::{ApiError, Routes, Serve, query};

pub fn routes() -> Routes {
    Routes::default().get("/audit", list)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    user: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    format: Option<String>,
}

async fn list(
    Serve(services): Serve,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let lines = match params.format.as_deref() {
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("application/x-ndjson")),
        Some("jsonl") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format must be json or jsonl, not {other:?}"
            )));
        }
    };
    let filter = AuditFilter {
        user: params.user,
        application: params.application,
        action: params.action,
        limit: params.limit,
    };
    let entries = services.audit_entries(&filter).await?;
    if !lines {
        return Ok(axum::Json(entries).into_response());
    }
    let mut body = String::new();
    for entry in &entries {
        body.push_str(&serde_json::to_string(entry).unwrap_or_default());
        body.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"gennaker-audit.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
