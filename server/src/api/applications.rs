//! `/api/v1/applications`: list (with search and sort), get, create, update, delete,
//! history, restore.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use axum::Json;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use serde::Deserialize;

use super::Acting;
use super::Routes;
use super::Serve;
use super::versioned::{created, with_etag};
use super::{ApiError, VersionParam, base_version, json, path, query};

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
    Serve(services): Serve,
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
    Ok(Json(services.applications.list(&params.q, sort).await?))
}

async fn create(
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<ApplicationSpec>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let spec = json(body)?;
    let application = services.applications.create(spec, &who.0.name).await?;
    // Validation allows only [a-z0-9-] in names, so this is always a valid header value.
    let location = format!("/api/v1/applications/{}", application.spec.name);
    Ok(created(location, application))
}

async fn read(
    Serve(services): Serve,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(with_etag(services.applications.get(&name).await?))
}

async fn update(
    Serve(services): Serve,
    Path(name): Path<String>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
    body: Result<Json<ApplicationSpec>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let version = base_version(&headers, query(params)?.version)?;
    let spec = json(body)?;
    Ok(with_etag(
        services
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
    Serve(services): Serve,
    Path(name): Path<String>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<DeleteParams>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let params = query(params)?;
    let version = base_version(&headers, params.version)?;
    services
        .applications
        .delete(&name, version, &params.confirm, &who.0.name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    Serve(services): Serve,
    Path(name): Path<String>,
) -> Result<Json<Vec<ApplicationVersion>>, ApiError> {
    Ok(Json(services.applications.history(&name).await?))
}

async fn read_version(
    Serve(services): Serve,
    params: Result<Path<(String, u64)>, PathRejection>,
) -> Result<Json<ApplicationVersion>, ApiError> {
    let (name, version) = path(params)?;
    Ok(Json(services.applications.version(&name, version).await?))
}

async fn restore(
    Serve(services): Serve,
    segments: Result<Path<(String, u64)>, PathRejection>,
    who: Acting,
    headers: HeaderMap,
    params: Result<Query<VersionParam>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (name, version) = path(segments)?;
    let expected = base_version(&headers, query(params)?.version)?;
    Ok(with_etag(
        services
            .applications
            .restore(&name, version, expected, &who.0.name)
            .await?,
    ))
}
