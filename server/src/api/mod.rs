//! The JSON HTTP API for automation, under `/api/v1`. Handlers are thin: they parse the
//! request, call the same services the UI's server functions call, and map errors to status
//! codes. Every error body is `{"code": "...", "message": "...", "fields": [...]}`.

mod applications;
mod audit;
pub mod error;
mod events;
mod infrastructure;
pub(crate) mod pipelines;
mod tasks;
mod tokens;
mod versioned;
mod webhooks;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Json, Path, Query};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, header};
use axum::routing::MethodFilter;
use serde::Deserialize;

use crate::state::AppState;

pub use error::ApiError;

/// The `/api/v1` routes and the webhooks.
pub fn routes() -> Routes {
    applications::routes()
        .merge(infrastructure::routes())
        .merge(pipelines::routes())
        .merge(tasks::routes())
        .merge(events::routes())
        .merge(webhooks::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
        .under("/api/v1")
        .merge(webhooks::hooks())
}

/// One route: a method and a path pattern as the router matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: String,
}

/// A router that lists its routes as it is built, so that every route can be walked (the
/// sign-in check's test does) without a second list to keep in step.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    listed: Vec<Route>,
}

impl Routes {
    fn on<H, T>(mut self, (method, filter): (Method, MethodFilter), path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, axum::routing::on(filter, handler));
        self.listed.push(Route {
            method,
            path: path.to_string(),
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on((Method::GET, MethodFilter::GET), path, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on((Method::POST, MethodFilter::POST), path, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on((Method::PUT, MethodFilter::PUT), path, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on((Method::DELETE, MethodFilter::DELETE), path, handler)
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    /// The same routes under `prefix`.
    pub fn under(self, prefix: &str) -> Self {
        Routes {
            router: Router::new().nest(prefix, self.router),
            listed: self
                .listed
                .into_iter()
                .map(|route| Route {
                    path: format!("{prefix}{}", route.path),
                    ..route
                })
                .collect(),
        }
    }

    /// The router, and the list of its routes.
    pub fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.listed)
    }
}

/// The principal a request acts as, as the sign-in check attached it.
pub(crate) struct Acting(pub gennaker_app::auth::Principal);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Acting {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Acting(gennaker_app::services::principal(parts)))
    }
}

/// The services as the request's principal may use them: every call is checked against the
/// application's and account's permissions (see `gennaker_app::auth::guarded`).
pub(crate) struct Serve(pub gennaker_app::services::Services);

impl axum::extract::FromRequestParts<AppState> for Serve {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The sign-in check attaches who asks; with sign-in on, nobody attached is nobody.
        let who = match parts.extensions.get::<gennaker_app::auth::Principal>() {
            Some(who) => who.clone(),
            None if state.auth.mode() == crate::auth::Mode::Open => {
                gennaker_app::auth::Principal::open()
            }
            None => {
                return Err(ApiError::App(gennaker_app::error::AppError::SignedOut(
                    "Sign in, or send an API token (Authorization: Bearer …).".into(),
                )));
            }
        };
        Ok(Serve(state.services.acting_as(who)))
    }
}

/// The body, or a 400 saying what is wrong with it.
pub(crate) fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

pub(crate) fn path<T>(params: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    params
        .map(|Path(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

pub(crate) fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(value)| value)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionParam {
    version: Option<u64>,
}

/// The version a change is based on: `If-Match: "3"` (or `3`), else `?version=3`.
fn base_version(headers: &HeaderMap, param: Option<u64>) -> Result<u64, ApiError> {
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value
            .to_str()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        return text.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "If-Match must be a version number such as \"3\", not {text:?}"
            ))
        });
    }
    param.ok_or(ApiError::VersionRequired)
}
