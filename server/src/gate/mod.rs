//! Spinnaker's Gate API, so that the `spin` CLI and scripts written for Spinnaker work
//! unchanged: the routes `spin` v1.30.0 calls, mounted under `[gate] path` (`/gate` unless
//! configured). They are thin doors onto the same services as `/api/v1`, with the same
//! permission checks and audit; only the shapes are Gate's (applications as attributes,
//! Orca's tasks, `202` for a started pipeline). Every answer with a body is JSON with
//! `Content-Type: application/json`: `spin` reads nothing from any other.
//!
//! Sign-in as `spin` does it: `Authorization: Basic` (a local user), `Authorization: Bearer`
//! (an API token), or `POST /login` with `username` and `password` (spin's LDAP form), which
//! answers a session cookie.

mod applications;
mod pipelines;
pub mod store;
mod tasks;

use axum::Json;
use serde_json::{Value, json};

use crate::api::{Routes, Serve};

pub use crate::config::DEFAULT_GATE_PATH as DEFAULT_PATH;

/// The Gate routes, relative to where they are mounted.
pub fn routes() -> Routes {
    Routes::default()
        .get("/version", version)
        .get("/auth/user", user)
        .post("/login", crate::http::login::login)
        .merge(applications::routes())
        .merge(pipelines::routes())
}

/// `GET /version`: `spin` asks it before every command.
async fn version() -> Json<Value> {
    Json(json!({ "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /auth/user`: who the request acts as, with the accounts they may deploy to.
async fn user(Serve(services): Serve, who: crate::api::Acting) -> Json<Value> {
    let accounts: Vec<String> = services
        .accounts
        .kubernetes_accounts()
        .into_iter()
        .map(|a| a.name)
        .collect();
    let who = who.0;
    Json(json!({
        "username": who.name,
        "email": "",
        "roles": who.roles,
        "allowedAccounts": accounts,
        "authorities": [],
    }))
}
