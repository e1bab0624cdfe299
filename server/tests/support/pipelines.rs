//! Helpers to drive pipelines through the JSON API.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use super::cluster::call;

/// A Wait stage in Spinnaker's JSON: `ref_id` after `after`, waiting `seconds`.
pub fn wait_stage(ref_id: &str, name: &str, seconds: u64, after: &[&str]) -> Value {
    json!({
        "refId": ref_id, "requisiteStageRefIds": after, "type": "wait", "name": name,
        "waitTime": seconds
    })
}

/// Stores a pipeline and returns its id.
pub async fn create_pipeline(addr: SocketAddr, config: Value) -> String {
    let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(config)).await;
    assert_eq!(status, 201, "the pipeline was refused: {body:#}");
    body["config"]["id"].as_str().expect("an id").to_string()
}

/// Starts an execution with `parameters` and returns its id.
pub async fn start_execution(addr: SocketAddr, pipeline: &str, parameters: Value) -> String {
    let (status, body) = call(
        addr,
        "POST",
        &format!("/api/v1/pipelines/{pipeline}/executions"),
        Some(json!({"parameters": parameters})),
    )
    .await;
    assert_eq!(status, 202, "the start was refused: {body:#}");
    body["id"].as_str().expect("an execution id").to_string()
}

pub async fn execution(addr: SocketAddr, id: &str) -> Value {
    let (status, body) = call(addr, "GET", &format!("/api/v1/executions/{id}"), None).await;
    assert_eq!(status, 200, "{body:#}");
    body
}

/// Polls an execution until `done` says so, for at most `limit`.
pub async fn wait_execution_for(
    addr: SocketAddr,
    id: &str,
    what: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let body = execution(addr, id).await;
        if done(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {}",
            summary(&body)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// [`wait_execution_for`] with two minutes.
pub async fn wait_execution(
    addr: SocketAddr,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    wait_execution_for(addr, id, what, Duration::from_secs(120), done).await
}

/// Waits until the execution has ended.
pub async fn finished(addr: SocketAddr, id: &str) -> Value {
    wait_execution(addr, id, "the execution to end", |e| {
        !matches!(
            e["status"].as_str(),
            Some("RUNNING" | "NOT_STARTED" | "PAUSED")
        )
    })
    .await
}

/// The status of the stage named `name`.
pub fn stage_status<'e>(execution: &'e Value, name: &str) -> &'e str {
    stage(execution, name)["status"]
        .as_str()
        .unwrap_or_default()
}

pub fn stage<'e>(execution: &'e Value, name: &str) -> &'e Value {
    execution["stages"]
        .as_array()
        .and_then(|stages| stages.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no stage {name}: {}", summary(execution)))
}

/// The execution's and its stages' statuses, with failures, for assertion messages.
/// Why stage `name` failed, as its context's `exception` says.
pub fn stage_error(execution: &Value, name: &str) -> String {
    stage(execution, name)["context"]["exception"]["details"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn summary(execution: &Value) -> String {
    let stages: Vec<String> = execution["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{}={}{}",
                s["name"].as_str().unwrap_or("?"),
                s["status"].as_str().unwrap_or("?"),
                s["context"]["exception"]["details"]["error"]
                    .as_str()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!("{} [{}]", execution["status"], stages.join(", "))
}

/// Records a judgment on the stage with refId `stage`.
pub async fn judge(addr: SocketAddr, id: &str, stage: &str, judgment: Value) -> (u16, Value) {
    call(
        addr,
        "POST",
        &format!("/api/v1/executions/{id}/stages/{stage}/judgment"),
        Some(judgment),
    )
    .await
}

/// Every server group of an application's clusters (`GET .../clusters`).
pub fn server_groups(clusters: &Value) -> Vec<Value> {
    clusters
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["serverGroups"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Their names, sorted.
pub fn names(groups: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = groups
        .iter()
        .filter_map(|g| g["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}
