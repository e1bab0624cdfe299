//! `/api/v1/applications`: list (with search and sort), get, create, update, delete,
//! history, restore.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use axum::Json;
use gennaker_app::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use serde::Deserialize;

use super::Acting;
use super::Routes;
use super::versioned::{created, with_etag};
use super::{ApiError, VersionParam, base_version, json, path, query};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get("/applications", list)
        .post("/applications", create)
        .get("/applications/{name}", read)
        .put("/applications/{name}", update)
        .delete("/applications/{name}", remove)
        .get("/applications/{name}/history", history)
        .get("/applications/{name}/history/{version}", read_version)
        .post("/applications/{name}/history/{version}/restore", restore)
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
    who: Acting,
    body: Result<Json<ApplicationSpec>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let spec = json(body)?;
    let application = state
        .services
        .applications
        .create(spec, &who.0.name)
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
    who: Acting,
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
            .update(&name, version, spec, &who.0.name)
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
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<DeleteParams>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let params = query(params)?;
    let version = base_version(&headers, params.version)?;
    state
        .services
        .applications
        .delete(&name, version, &params.confirm, &who.0.name)
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
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (name, version) = path(segments)?;
    let expected = base_version(&headers, query(params)?.version)?;
    Ok(with_etag(
        state
            .services
            .applications
            .restore(&name, version, expected, &who.0.name)
            .await?,
    ))
}
