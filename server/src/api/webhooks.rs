//! Where triggers are called from outside: `POST /webhooks/webhook/{source}` (Webhook
//! triggers), `POST /webhooks/git/{github|gitlab|bitbucket}` (Git pushes) and
//! `POST /webhooks/registry/{account}` (docker-registry notifications); and what the editor
//! reads about triggers under `/api/v1/triggers`.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use axum::Json;
use gennaker_app::error::AppError;
use gennaker_core::pipelines::triggers::{CronRun, GitSource, WatchedRepository};
use serde::Deserialize;
use serde_json::json;

use super::Routes;
use super::Serve;
use super::{ApiError, path, query};
use crate::state::AppState;
use crate::triggers::webhook::{Outcome, Refused};

/// The routes outside `/api/v1`, where other systems call.
pub fn hooks() -> Routes {
    Routes::default()
        .post("/webhooks/webhook/{source}", webhook)
        .post("/webhooks/git/{source}", git)
        .post("/webhooks/registry/{account}", registry)
}

/// The routes under `/api/v1`.
pub fn routes() -> Routes {
    Routes::default()
        .get("/triggers/docker", watched)
        .get("/triggers/cron", cron_runs)
}

fn answer(result: Result<Outcome, Refused>) -> Response {
    match result {
        Ok(outcome) => (StatusCode::OK, Json(outcome)).into_response(),
        Err(refused) => {
            let (status, code, message) = match refused {
                Refused::Unknown(m) => (StatusCode::NOT_FOUND, "not_found", m),
                Refused::BadBody(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
                Refused::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            };
            tracing::info!(status = status.as_u16(), "webhook refused: {message}");
            (status, Json(json!({"code": code, "message": message}))).into_response()
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn webhook(
    State(state): State<AppState>,
    source: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let source = path(source)?;
    let secret = header(&headers, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| header(&headers, "x-gennaker-secret"));
    Ok(answer(
        crate::triggers::webhook::receive(&state.triggers, &source, secret, &body).await,
    ))
}

async fn git(
    State(state): State<AppState>,
    source: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let source = path(source)?;
    let Some(host) = GitSource::parse(&source) else {
        return Ok(answer(Err(Refused::Unknown(format!(
            "{source:?} is not a Git host Gennaker reads: use /webhooks/git/github, /webhooks/git/gitlab or /webhooks/git/bitbucket."
        )))));
    };
    let (event_header, proof_header) = crate::triggers::git::headers(host);
    let Some(event) = header(&headers, event_header) else {
        return Ok(answer(Err(Refused::BadBody(format!(
            "The call has no {event_header} header: it is not a {} webhook.",
            host.label()
        )))));
    };
    let proof = header(&headers, proof_header);
    Ok(answer(
        crate::triggers::git::receive(&state.triggers, host, event, proof, &body).await,
    ))
}

/// docker-registry's notifications: each tagged manifest push is checked with the registry
/// and starts what it starts. Answered at once (the registry waits for its answer); the
/// checks run after.
async fn registry(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = path(account)?;
    if state.triggers.registries.address(&account).is_none() {
        return Ok(answer(Err(Refused::Unknown(format!(
            "There is no docker registry account {account:?}: the notification endpoint's URL must end in a configured account's name."
        )))));
    }
    let envelope: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(e) => {
            return Ok(answer(Err(Refused::BadBody(format!(
                "The body is not JSON: {e}"
            )))));
        }
    };
    let pushes = match crate::triggers::docker::pushes_in(&envelope) {
        Ok(pushes) => pushes,
        Err(problem) => return Ok(answer(Err(Refused::BadBody(format!("{problem}."))))),
    };
    let count = pushes.len();
    let triggers = state.triggers.clone();
    tokio::spawn(async move {
        for (repository, tag) in pushes {
            if let Err(error) =
                crate::triggers::docker::pushed(&triggers, &account, &repository, &tag).await
            {
                tracing::warn!(%account, %repository, %tag, "a registry notification could not be checked: {error}");
            }
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({"pushes": count}))).into_response())
}

async fn watched(Serve(services): Serve) -> Json<Vec<WatchedRepository>> {
    Json(services.pipelines.watched_repositories().await)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CronQuery {
    expression: String,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

async fn cron_runs(
    Serve(services): Serve,
    params: Result<Query<CronQuery>, QueryRejection>,
) -> Result<Json<Vec<CronRun>>, ApiError> {
    let params = query(params)?;
    let zone = params
        .time_zone
        .unwrap_or_else(|| gennaker_core::pipelines::triggers::DEFAULT_TIME_ZONE.to_string());
    let runs: Result<_, AppError> = services
        .pipelines
        .cron_runs(&params.expression, &zone, &params.id.unwrap_or_default())
        .await;
    Ok(Json(runs?))
}
