//! Nothing lost, nothing twice, no single request brings the server down: each finding of the
//! outside test, reproduced against the real binary (no cluster needed).
//! - A Pipeline stage running when the server is killed goes on after the restart.
//! - A pipeline that runs itself is refused on save (directly or through another), a loop
//!   the save cannot see stops at the chain depth, and canceling a parent cancels its child.
//! - A pipeline of 12,000 chained stages is refused by the stage limit, not by a crash.
//! - `#toJson` nested 24 deep is refused by the expression budget, not by running out of
//!   memory.
//! - Every answer under `/api/v1` is JSON, also an unknown path and an address too long.
//! - A Webhook stage's request carries an `Idempotency-Key`, the same when it is sent again
//!   after a kill -9, another when the stage is restarted.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::binary::{start_without_cluster, wait_until_serving};
use support::cluster::{call, create_application, unique};
use support::pipelines::{
    create_pipeline, execution, finished, stage, start_execution, summary, wait_execution,
};

/// Executions of `pipeline`, newest first.
async fn executions_of(addr: std::net::SocketAddr, pipeline: &str) -> Vec<Value> {
    let (status, body) = call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={pipeline}&limit=500"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_pipeline_stage_survives_kill_9_and_its_child_runs_once() {
    let data = tempfile::tempdir().expect("a directory");
    let (server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let app = unique("nest");
    create_application(addr, &app).await;
    let child = create_pipeline(
        addr,
        json!({"application": app, "name": "Child", "stages": [
        support::pipelines::wait_stage("1", "Wait", 6, &[])]}),
    )
    .await;
    let parent = create_pipeline(addr, json!({"application": app, "name": "Parent", "stages": [
        {"refId": "1", "type": "pipeline", "name": "Run child", "pipeline": child, "waitForCompletion": true}]}))
    .await;
    let run = start_execution(addr, &parent, json!({})).await;
    wait_execution(addr, &run, "the child to start", |e| {
        stage(e, "Run child")["status"] == "RUNNING"
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.kill_9();
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
    let children = executions_of(addr, &child).await;
    assert_eq!(children.len(), 1, "one child execution: {children:#?}");
    assert_eq!(children[0]["status"], "SUCCEEDED");
}

#[tokio::test]
async fn pipelines_that_start_themselves_are_refused_or_stopped() {
    let data = tempfile::tempdir().expect("a directory");
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let app = unique("loop");
    create_application(addr, &app).await;

    // Directly.
    let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(json!({
        "id": "self-loop", "application": app, "name": "Loop", "stages": [
            {"refId": "1", "type": "pipeline", "name": "Again", "pipeline": "self-loop", "waitForCompletion": true}]}))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["fields"][0]["field"], "stages[0].pipeline", "{body}");

    // Through another pipeline: the second save closes the loop and names it.
    let first = create_pipeline(
        addr,
        json!({"application": app, "name": "First", "stages": [
        support::pipelines::wait_stage("1", "Wait", 1, &[])]}),
    )
    .await;
    create_pipeline(
        addr,
        json!({"application": app, "name": "Second", "stages": [
        {"refId": "1", "type": "pipeline", "name": "Run first", "pipeline": first}]}),
    )
    .await;
    let (_, stored) = call(addr, "GET", &format!("/api/v1/pipelines/{first}"), None).await;
    let mut looped = stored["config"].clone();
    looped["stages"] =
        json!([{"refId": "1", "type": "pipeline", "name": "Run second", "pipeline": "Second"}]);
    let (status, body) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{first}?version={}", stored["version"]),
        Some(looped),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("First → Second → First")),
        "{body}"
    );

    // A loop no save can see (the target is an expression) stops at the chain depth, each
    // execution ends, and nothing keeps starting.
    let hidden = create_pipeline(addr, json!({"application": app, "name": "Hidden",
        "parameterConfig": [{"name": "next"}],
        "stages": [{"refId": "1", "type": "pipeline", "name": "Next", "pipeline": "${parameters.next}",
            "pipelineParameters": {"next": "${parameters.next}"}, "waitForCompletion": true}]}))
    .await;
    let run = start_execution(addr, &hidden, json!({"next": hidden})).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "TERMINAL", "{}", summary(&done));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = executions_of(addr, &hidden).await;
    assert_eq!(all.len(), 16, "the chain stops at 16 executions");
    let deepest = all
        .iter()
        .find(|e| {
            stage(e, "Next")["context"]["exception"]["details"]["error"]
                .as_str()
                .is_some_and(|m| m.contains("more than 16 executions deep"))
        })
        .map(summary);
    assert!(deepest.is_some(), "the deepest stage says why: {all:#?}");
    assert!(
        all.iter().all(|e| e["status"] == "TERMINAL"),
        "every execution ended"
    );

    // Canceling a parent cancels the child its Pipeline stage waits for.
    let slow = create_pipeline(
        addr,
        json!({"application": app, "name": "Slow", "stages": [
        support::pipelines::wait_stage("1", "Wait", 600, &[])]}),
    )
    .await;
    let parent = create_pipeline(addr, json!({"application": app, "name": "Parent", "stages": [
        {"refId": "1", "type": "pipeline", "name": "Run slow", "pipeline": slow, "waitForCompletion": true}]}))
    .await;
    let run = start_execution(addr, &parent, json!({})).await;
    let running = wait_execution(addr, &run, "the child to run", |e| {
        stage(e, "Run slow")["tasks"][0]["status"] == "RUNNING"
    })
    .await;
    let _ = running;
    let children = loop {
        let found = executions_of(addr, &slow).await;
        if !found.is_empty() {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let child = children[0]["id"].as_str().expect("an id").to_string();
    let (status, body) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/cancel"),
        None,
    )
    .await;
    assert!(status < 300, "{body}");
    let child_done = finished(addr, &child).await;
    assert_eq!(child_done["status"], "CANCELED", "{}", summary(&child_done));
}

#[tokio::test]
async fn huge_pipelines_and_greedy_expressions_are_refused_and_the_server_lives() {
    let data = tempfile::tempdir().expect("a directory");
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let app = unique("huge");
    create_application(addr, &app).await;

    let stages: Vec<Value> = (0..12_000)
        .map(|i| {
            json!({"refId": i.to_string(), "type": "wait", "name": format!("W{i}"), "waitTime": 1,
            "requisiteStageRefIds": [(i + 1).to_string()]})
        })
        .collect();
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": app, "name": "Chain", "stages": stages})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 1000 stages")),
        "{body}"
    );
    let (status, _) = support::get(addr, "/healthz").await;
    assert_eq!(status, 200, "the server still answers");

    let quick = create_pipeline(
        addr,
        json!({"application": app, "name": "Quick", "stages": [
        support::pipelines::wait_stage("1", "Wait", 1, &[])]}),
    )
    .await;
    let run = start_execution(addr, &quick, json!({})).await;
    finished(addr, &run).await;
    let mut expression = "execution".to_string();
    for _ in 0..24 {
        expression = format!("#toJson({expression})");
    }
    let (status, body) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/evaluate"),
        Some(json!({"expression": format!("${{{expression}}}")})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("budget of 4 MiB"), "{body}");
    let (status, _) = support::get(addr, "/healthz").await;
    assert_eq!(status, 200, "the server still answers");
    assert_eq!(execution(addr, &run).await["status"], "SUCCEEDED");
}

#[tokio::test]
async fn every_api_answer_is_json() {
    let data = tempfile::tempdir().expect("a directory");
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    for (path, status, code) in [
        ("/api/v1/executions/../..", 404, "not_found"),
        ("/api/v1/nothing-here", 404, "not_found"),
        (
            &*format!("/api/v1/executions?application={}", "a".repeat(20_000)),
            414,
            "uri_too_long",
        ),
    ] {
        let response = if path.contains("..") {
            support::raw_get(addr, path).await
        } else {
            support::request(addr, "GET", path, &[], None).await
        };
        assert_eq!(response.status, status, "{path}: {}", response.body);
        assert!(
            response
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{path}: {:?}",
            response.header("content-type")
        );
        assert_eq!(response.json()["code"], code, "{}", response.body);
    }
    let response = support::request(addr, "DELETE", "/api/v1/executions", &[], None).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.json()["code"], "method_not_allowed");
}

/// An application named after `prefix` with a pipeline of one Webhook stage "Call" that posts
/// to `target`; the pipeline's id.
async fn webhook_pipeline(
    addr: std::net::SocketAddr,
    target: std::net::SocketAddr,
    prefix: &str,
) -> String {
    let app = unique(prefix);
    create_application(addr, &app).await;
    create_pipeline(
        addr,
        json!({"application": app, "name": "Hook", "stages": [
        {"refId": "1", "type": "webhook", "name": "Call", "method": "POST",
         "url": format!("http://{target}/hook"), "payload": {"id": "${execution.id}"}}]}),
    )
    .await
}

#[tokio::test]
async fn a_webhook_stage_sends_an_idempotency_key() {
    let receiver = support::receiver::Receiver::start(Duration::ZERO).await;
    let target = receiver.addr;
    let data = tempfile::tempdir().expect("a directory");
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let hook = webhook_pipeline(addr, target, "key").await;
    let first = finished(addr, &start_execution(addr, &hook, json!({})).await).await;
    let second = finished(addr, &start_execution(addr, &hook, json!({})).await).await;
    let keys: Vec<String> = [&first, &second]
        .iter()
        .map(|e| {
            stage(e, "Call")["outputs"]["webhook"]["idempotencyKey"]
                .as_str()
                .expect("the key in the outputs")
                .to_string()
        })
        .collect();
    assert_ne!(keys[0], keys[1], "each stage attempt has its own key");
    let calls = receiver.calls();
    for key in &keys {
        assert_eq!(
            calls.iter().filter(|(k, _)| k == key).count(),
            1,
            "{calls:?}"
        );
    }
}

/// Killed while the receiver still holds the call, the server calls again after its restart
/// with the same key (the receiver can drop the repeat); restarting the stage is a new
/// attempt with a new key.
#[tokio::test]
async fn a_webhook_repeated_after_kill_9_keeps_its_key_and_a_restart_gets_a_new_one() {
    let receiver = support::receiver::Receiver::start(Duration::from_secs(4)).await;
    let target = receiver.addr;
    let data = tempfile::tempdir().expect("a directory");
    let (server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let hook = webhook_pipeline(addr, target, "rekey").await;
    let run = start_execution(addr, &hook, json!({})).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while receiver.calls().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the webhook was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_9();
    let (_server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
    let calls = receiver.calls();
    assert!(
        calls.len() >= 2,
        "called again after the restart: {calls:?}"
    );
    let key = stage(&done, "Call")["outputs"]["webhook"]["idempotencyKey"]
        .as_str()
        .expect("the key in the outputs")
        .to_string();
    assert!(calls.iter().all(|(k, _)| *k == key), "{key}: {calls:?}");

    let (status, body) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/stages/1/restart"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    wait_execution(addr, &run, "the restarted stage to end", |e| {
        stage(e, "Call")["outputs"]["webhook"]["idempotencyKey"] != json!(key)
            && e["status"] == "SUCCEEDED"
    })
    .await;
    let again = receiver.calls();
    let new_keys: Vec<_> = again.iter().filter(|(k, _)| *k != key).collect();
    assert_eq!(new_keys.len(), 1, "one call with a new key: {again:?}");
}
