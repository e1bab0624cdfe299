//! Gate's applications: `GET /applications` (each application's attributes) and
//! `GET /applications/{app}` (`{"name", "attributes", "clusters"}`). Changes come as tasks
//! ([`super::tasks`]).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use gennaker_core::applications::model::ApplicationSort;
use gennaker_core::gate::applications::{attributes, detail};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::store::{kept, with_kept};
use crate::api::{ApiError, Routes, Serve, query};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get("/applications", list)
        .get("/applications/{app}", read)
        .merge(super::tasks::routes())
}

/// Gate's filters; `account` is taken and ignored (Gennaker's applications are not tied to
/// accounts), as any other unknown parameter.
#[derive(Debug, Deserialize)]
struct ListParams {
    /// Only applications of this owner (their email).
    #[serde(default)]
    owner: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Serve(services): Serve,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Vec<Map<String, Value>>>, ApiError> {
    let params = query(params)?;
    let all = services
        .applications
        .list("", ApplicationSort::default())
        .await?;
    // One listing says which applications have attributes kept; only those are read.
    let with_kept = with_kept(&state.store).await;
    let mut answered = Vec::new();
    for application in all.iter().filter(|a| {
        params
            .owner
            .as_deref()
            .is_none_or(|owner| a.spec.owner_email.eq_ignore_ascii_case(owner))
    }) {
        let name = &application.spec.name;
        let kept = if with_kept.contains(name) {
            kept(&state.store, name).await
        } else {
            Map::new()
        };
        answered.push(attributes(application, &kept));
    }
    Ok(Json(answered))
}

#[derive(Debug, Deserialize)]
struct ReadParams {
    #[serde(default = "yes")]
    expand: bool,
}

fn yes() -> bool {
    true
}

async fn read(
    State(state): State<AppState>,
    Serve(services): Serve,
    Path(name): Path<String>,
    params: Result<Query<ReadParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let expand = query(params)?.expand;
    let application = services.applications.get(&name).await?;
    let clusters = if expand {
        // Gate's shape: the clusters by account, each with its name and provider.
        let mut by_account: Map<String, Value> = Map::new();
        match services.infrastructure.clusters(&name).await {
            Ok(clusters) => {
                for cluster in clusters {
                    let entry = by_account
                        .entry(cluster.account.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = entry {
                        list.push(serde_json::json!({
                            "name": cluster.name,
                            "namespace": cluster.namespace,
                            "provider": "kubernetes",
                            "serverGroups": cluster.server_groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
                        }));
                    }
                }
            }
            Err(error) => {
                tracing::warn!(app = %name, "clusters unknown for Gate's application: {error}")
            }
        }
        Some(Value::Object(by_account))
    } else {
        None
    };
    let kept = kept(&state.store, &name).await;
    Ok(Json(detail(&application, &kept, clusters)))
}
