//! `/api/v1/tokens`: the signed-in user's API tokens — list, make (the secret is in the
//! answer, once), revoke.

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gennaker_app::auth::{ApiToken, NewToken};
use serde::Deserialize;

use super::{Acting, ApiError, Routes, Serve, json, path};

pub fn routes() -> Routes {
    Routes::default()
        .get("/tokens", list)
        .post("/tokens", create)
        .delete("/tokens/{id}", revoke)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenRequest {
    name: String,
    /// How many days the token lives (default 90).
    #[serde(default = "default_days")]
    days: u32,
}

fn default_days() -> u32 {
    90
}

async fn list(Serve(services): Serve, who: Acting) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(services.tokens.list(&who.0).await?))
}

async fn create(
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<NewTokenRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let request = json(body)?;
    let made = services
        .tokens
        .create(&who.0, &request.name, request.days)
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn revoke(
    Serve(services): Serve,
    who: Acting,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id: String = path(id)?;
    services.tokens.revoke(&who.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
