//! Snapshots of the JSON API's answers (insta): a stored pipeline as Spinnaker's JSON, a refusal,
//! and a finished execution. A change to a field name or shape shows as a snapshot diff to
//! review (`cargo insta review`, or accept by updating `tests/snapshots/`), not as a silent
//! change a Spinnaker tool reading the API would trip over. Ids and times differ each run, so
//! they are replaced by placeholders first.

mod support;

use serde_json::{Value, json};
use support::cluster::{call, create_application};
use support::pipelines::{create_pipeline, finished, start_execution, wait_stage};

/// Keys whose values change every run: ids and times.
const VARYING: &[&str] = &[
    "id",
    "pipelineConfigId",
    "buildTime",
    "startTime",
    "endTime",
    "updateTs",
    "createTs",
    "lastModified",
    "lastModifiedTime",
    "taskIds",
    "createdAt",
    "savedAt",
    "updatedAt",
];

/// `value` with every varying key's value replaced by a placeholder naming its type.
fn steady(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let v = if VARYING.contains(&key.as_str()) && !v.is_null() {
                        json!(format!("[{key}]"))
                    } else {
                        steady(v)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(steady).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_apis_json_keeps_its_shape() {
    let server = support::start().await;
    let addr = server.addr;
    create_application(addr, "snap").await;
    let pipeline = create_pipeline(
        addr,
        json!({"application": "snap", "name": "Two waits",
            "keepWaitingPipelines": false, "limitConcurrent": true,
            "parameterConfig": [{"name": "env", "default": "staging"}],
            "stages": [wait_stage("1", "First", 0, &[]), wait_stage("2", "Second", 0, &["1"])],
            "spelEvaluator": "v4", "somethingSpinnakerHas": {"kept": true}}),
    )
    .await;

    let (status, stored) = call(addr, "GET", &format!("/api/v1/pipelines/{pipeline}"), None).await;
    assert_eq!(status, 200, "{stored}");
    insta::assert_json_snapshot!("stored_pipeline", steady(&stored));

    let (status, refused) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": "snap", "name": "Loop",
            "stages": [wait_stage("1", "A", 0, &["2"]), wait_stage("2", "B", 0, &["1"])]})),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    insta::assert_json_snapshot!("refused_pipeline", refused);

    let id = start_execution(addr, &pipeline, json!({})).await;
    let execution = finished(addr, &id).await;
    assert_eq!(execution["status"], "SUCCEEDED", "{execution}");
    insta::assert_json_snapshot!("finished_execution", steady(&execution));
}
