//! `/healthz` (the process is alive and serving) and `/readyz` (it can do its work).

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;

use crate::state::AppState;

/// Liveness: answering at all is the check.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The result of one readiness check.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Readiness, with each check's result in the body.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
}

/// Ready when every check passes; 503 and the failing checks otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let checks = vec![
        data_dir_writable(&state).await,
        store_reachable(&state).await,
    ];
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Readiness { ready, checks }))
}

/// The data directory accepts a write (a probe file, removed again).
async fn data_dir_writable(state: &AppState) -> Check {
    let probe = state.data_dir.join(".readyz-probe");
    let result = async {
        tokio::fs::write(&probe, b"ok").await?;
        tokio::fs::remove_file(&probe).await
    }
    .await;
    Check {
        name: "data_dir",
        ok: result.is_ok(),
        error: result
            .err()
            .map(|e| format!("cannot write to {}: {e}", state.data_dir.display())),
    }
}

/// The store answers a read (of a key that does not exist).
async fn store_reachable(state: &AppState) -> Check {
    let result = state.store.get("readyz/probe.json").await;
    Check {
        name: "store",
        ok: result.is_ok(),
        error: result.err().map(|e| e.to_string()),
    }
}
