//! `/api/v1/applications`: list (with search and sort), get, create, update, delete,
//! history, restore.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use gennaker_app::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use gennaker_app::services::acting_user;
use serde::Deserialize;

use super::versioned::{created, with_etag};
use super::{ApiError, VersionParam, base_version, json, path, query};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list).post(create))
        .route("/applications/{name}", get(read).put(update).delete(remove))
        .route("/applications/{name}/history", get(history))
        .route("/applications/{name}/history/{version}", get(read_version))
        .route(
            "/applications/{name}/history/{version}/restore",
            post(restore),
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Vec<Application>>, ApiError> {
    let params = query(params)?;
    let sort = match params.sort.as_deref() {
        None => ApplicationSort::default(),
        Some(text) => ApplicationSort::parse(text).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "sort must be name, created or updated, not {text:?}"
            ))
        })?,
    };
    Ok(Json(
        state.services.applications.list(&params.q, sort).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ApplicationSpec>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let spec = json(body)?;
    let application = state
        .services
        .applications
        .create(spec, &acting_user(&headers))
        .await?;
    // Validation allows only [a-z0-9-] in names, so this is always a valid header value.
    let location = format!("/api/v1/applications/{}", application.spec.name);
    Ok(created(location, application))
}

async fn read(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(with_etag(state.services.applications.get(&name).await?))
}

async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
    body: Result<Json<ApplicationSpec>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let version = base_version(&headers, query(params)?.version)?;
    let spec = json(body)?;
    Ok(with_etag(
        state
            .services
            .applications
            .update(&name, version, spec, &acting_user(&headers))
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    version: Option<u64>,
    #[serde(default)]
    confirm: String,
}

async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    params: Result<Query<DeleteParams>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let params = query(params)?;
    let version = base_version(&headers, params.version)?;
    state
        .services
        .applications
        .delete(&name, version, &params.confirm, &acting_user(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<ApplicationVersion>>, ApiError> {
    Ok(Json(state.services.applications.history(&name).await?))
}

async fn read_version(
    State(state): State<AppState>,
    params: Result<Path<(String, u64)>, PathRejection>,
) -> Result<Json<ApplicationVersion>, ApiError> {
    let (name, version) = path(params)?;
    Ok(Json(
        state.services.applications.version(&name, version).await?,
    ))
}

async fn restore(
    State(state): State<AppState>,
    segments: Result<Path<(String, u64)>, PathRejection>,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (name, version) = path(segments)?;
    let expected = base_version(&headers, query(params)?.version)?;
    Ok(with_etag(
        state
            .services
            .applications
            .restore(&name, version, expected, &acting_user(&headers))
            .await?,
    ))
}
