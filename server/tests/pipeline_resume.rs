//! An execution survives `kill -9` of the server at its riskiest moments: during a Wait (which
//! then ends at its original time, not a full wait after the restart), while a Manual Judgment
//! waits (and right after the decision was recorded), and during a Deploy waiting for its Pods.
//! After each restart the execution goes on where it was, and no stage's side effect happens
//! twice: exactly one ReplicaSet is created. A window wait, a Run Job waiting for its Job and
//! a Rolling Red/Black half way resume the same way; the Job and the new server group are
//! created once.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};
use support::binary::{current_context, serving_application, start_binary, wait_until_serving};
use support::cluster::{create_application, in_scratch_namespace, test_cluster, unique};
use support::pipelines::{
    create_pipeline, execution, finished, judge, stage, stage_status, start_execution, summary,
    wait_execution,
};

const NODE_LABEL: &str = "gennaker.io/test-pipeline-resume";
/// The rolling test's own label (on another node), as the tests run side by side.
const ROLLING_NODE_LABEL: &str = "gennaker.io/test-rolling-resume";

fn millis(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not epoch milliseconds: {value}"))
}

#[tokio::test]
async fn a_wait_a_judgment_and_a_deploy_each_finish_once_across_kill_9() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let (data, server, addr, app) = serving_application(&kubeconfig, "resume").await;
        let account = current_context(&kubeconfig);
        let label = unique("p");
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Survives", "stages": [
            support::pipelines::wait_stage("1", "Wait", 12, &[]),
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "manualJudgment", "name": "Approve"},
            {"refId": "3", "requisiteStageRefIds": ["2"], "type": "deploy", "name": "Deploy", "clusters": [{
                "account": account, "namespace": namespace, "stack": "web", "targetSize": 1,
                "strategy": "highlander", "nodeSelector": {NODE_LABEL: label},
                "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]
            }]}
        ]}))
        .await;
        let id = start_execution(addr, &pipeline, json!({})).await;

        // 1. Killed 4 s into a 12 s Wait: it still ends 12 s after it started.
        let waiting = wait_execution(addr, &id, "the wait", |e| stage(e, "Wait")["tasks"][0]["status"] == "RUNNING").await;
        let wait_started = millis(&stage(&waiting, "Wait")["startTime"]);
        tokio::time::sleep(Duration::from_secs(4)).await;
        server.kill_9();
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let restarted = gennaker_core::time::Timestamp::now().as_millis();
        let judging = wait_execution(addr, &id, "the judgment", |e| stage_status(e, "Approve") == "RUNNING").await;
        let wait_ended = millis(&stage(&judging, "Wait")["endTime"]);
        assert!(wait_ended - wait_started >= 12_000, "the wait ended early: {} ms", wait_ended - wait_started);
        assert!(
            wait_ended < restarted + 12_000,
            "the restart gave the wait a new 12 s (started {wait_started}, restarted {restarted}, ended {wait_ended})"
        );

        // 2. Killed while the judgment waits; after the restart it still waits and takes a decision.
        wait_execution(addr, &id, "the judgment step to wait", |e| {
            stage(e, "Approve")["tasks"][0]["message"] == "waiting for a judgment"
        })
        .await;
        server.kill_9();
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        assert_eq!(stage_status(&execution(addr, &id).await, "Approve"), "RUNNING");
        // 3. Killed right after the decision is recorded: it reaches the step after the restart.
        let (status, judged) = judge(addr, &id, "2", json!({"judgmentStatus": "continue"})).await;
        assert_eq!(status, 200, "{judged:#}");
        server.kill_9();
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;

        // 4. Killed while the Deploy waits for Pods no node takes yet.
        wait_execution(addr, &id, "the deploy to wait for its Pods", |e| {
            stage(e, "Deploy")["tasks"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["name"] == "Wait for 1/1 Pods to be Ready" && t["status"] == "RUNNING"))
        })
        .await;
        server.kill_9();
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let nodes: Api<Node> = Api::all(client.clone());
        let node = nodes.list(&ListParams::default()).await.expect("nodes").items.into_iter().next().expect("a node").name_any();
        let patch = |value: Value| json!({"metadata": {"labels": {NODE_LABEL: value}}});
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(json!(label)))).await.expect("label the node");
        let done = finished(addr, &id).await;
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(Value::Null))).await.expect("unlabel the node");
        drop(server);

        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        assert_eq!(stage(&done, "Approve")["context"]["judgmentStatus"], "continue");
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client, &namespace);
        let names: Vec<String> = replica_sets.list(&ListParams::default()).await.expect("list").items.iter().map(|rs| rs.name_any()).collect();
        assert_eq!(names, [format!("{app}-web-v000")], "exactly one ReplicaSet");
        let steps: Vec<&str> = stage(&done, "Deploy")["tasks"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(steps.iter().filter(|s| s.starts_with("Create the ReplicaSet")).count(), 1, "{steps:?}");
    })
    .await;
}

/// A Wait stage restricted to `window` (Spinnaker's fields, with Gennaker's `timeZone`).
fn in_window(name: &str, ref_id: &str, window: Value) -> Value {
    json!({"refId": ref_id, "requisiteStageRefIds": [], "type": "wait", "name": name, "waitTime": 0,
        "restrictExecutionDuringTimeWindow": true, "restrictedExecutionWindow": window,
        "overrideTimeout": true, "stageTimeoutMs": 3000})
}

#[tokio::test]
async fn a_window_wait_survives_kill_9_and_is_skipped_once() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let data = tempfile::tempdir().expect("a temporary directory");
    let (server, addr) = start_binary(&kubeconfig, data.path());
    wait_until_serving(addr).await;
    let app = unique("window");
    create_application(addr, &app).await;
    // Three days from today (in Tokyo), 09:00 to 10:00: at least two days away.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Tokyo").expect("a zone"))
        .weekday()
        .to_sunday_one_offset();
    let day = (today + 2) % 7 + 1;
    let pipeline = create_pipeline(
        addr,
        json!({"application": app, "name": "Later", "stages": [
            in_window("Later", "1", json!({"days": [day], "timeZone": "Asia/Tokyo",
                "whitelist": [{"startHour": 9, "startMin": 0, "endHour": 10, "endMin": 0}]})),
            in_window("Open", "2", json!({"days": [], "whitelist": [],
                "jitter": {"enabled": true, "minDelay": 1, "maxDelay": 1}})),
        ]}),
    )
    .await;
    let id = start_execution(addr, &pipeline, json!({})).await;
    let message = |e: &Value| {
        stage(e, "Later")["tasks"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let waiting = wait_execution(addr, &id, "the window wait", |e| {
        message(e).contains("it opens")
    })
    .await;
    let opens = message(&waiting);
    assert!(opens.contains("09:00 (Asia/Tokyo)"), "{opens}");
    // The other stage's window is open: it waits only its 1 s of jitter.
    let open = wait_execution(addr, &id, "the open window", |e| {
        stage_status(e, "Open") == "SUCCEEDED"
    })
    .await;
    assert!(
        stage(&open, "Open")["tasks"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("and 1 s more")),
        "{}",
        summary(&open)
    );

    // Killed while it waits (longer than the stage's 3 s timeout, which the window does not
    // count): after the restart it waits for the same opening.
    tokio::time::sleep(Duration::from_secs(4)).await;
    server.kill_9();
    let (server, addr) = start_binary(&kubeconfig, data.path());
    wait_until_serving(addr).await;
    let after = wait_execution(addr, &id, "the window wait again", |e| {
        message(e).contains("it opens")
    })
    .await;
    assert_eq!(message(&after), opens);
    assert_eq!(
        stage_status(&after, "Later"),
        "RUNNING",
        "{}",
        summary(&after)
    );

    // Skipped: the stage goes on at once; a second skip is refused.
    let path = format!("/api/v1/executions/{id}/stages/1/skipWindow");
    let (status, body) = support::cluster::call(addr, "POST", &path, None).await;
    assert_eq!(status, 200, "{body:#}");
    let done = finished(addr, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
    assert_eq!(
        stage(&done, "Later")["tasks"][0]["message"],
        "anonymous skipped the rest of the window"
    );
    let (status, _) = support::cluster::call(addr, "POST", &path, None).await;
    assert_eq!(status, 409);
    drop(server);
}

#[tokio::test]
async fn a_run_job_survives_kill_9_and_creates_its_job_once() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let (data, server, addr, app) = serving_application(&kubeconfig, "jobresume").await;
        let account = current_context(&kubeconfig);
        // A suspended Job: it runs only when the test lets it, after the restart.
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Job", "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "runJobManifest", "name": "Report",
             "account": account, "propertyFile": "report", "manifest": {
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"generateName": "report-", "namespace": namespace},
                "spec": {"suspend": true, "backoffLimit": 0, "template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "report", "image": "busybox:1.36"}]}}}}}
        ]}))
        .await;
        let id = start_execution(addr, &pipeline, json!({})).await;
        let waiting_for_job = |e: &Value| {
            stage(e, "Report")["tasks"]
                .as_array()
                .and_then(|tasks| tasks.iter().find(|t| t["status"] == "RUNNING"))
                .and_then(|t| t["message"].as_str())
                .is_some_and(|m| m.contains("0 running, 0 succeeded"))
        };
        wait_execution(addr, &id, "the Job wait", waiting_for_job).await;
        server.kill_9();

        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        wait_execution(addr, &id, "the Job wait again", waiting_for_job).await;
        let jobs: Api<Job> = Api::namespaced(client.clone(), &namespace);
        let made = jobs
            .list(&ListParams::default())
            .await
            .expect("the Jobs")
            .items;
        assert_eq!(made.len(), 1, "one Job, not one per start");
        jobs.patch(
            &made[0].name_any(),
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": false}})),
        )
        .await
        .expect("the Job resumed");

        let done = finished(addr, &id).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        assert_eq!(stage(&done, "Report")["outputs"]["build_number"], "42");
        assert_eq!(
            jobs.list(&ListParams::default())
                .await
                .expect("the Jobs")
                .items
                .len(),
            1
        );
        drop(server);
    })
    .await;
}

#[tokio::test]
async fn a_rolling_red_black_survives_kill_9_mid_way_and_moves_traffic_once() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let data = tempfile::tempdir().expect("a temporary directory");
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let account = current_context(&kubeconfig);
        let (app, lb) = support::cluster::application_with_load_balancer_in(addr, "rollresume", &account, &namespace).await;
        let label = unique("r");
        let deploy = |name: &str, strategy: &str, node_selector: Value| json!({"application": app, "name": name, "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "deploy", "name": "Deploy", "clusters": [{
                "account": account, "namespace": namespace, "stack": "web", "targetSize": 2,
                "strategy": strategy, "targetPercentages": [50, 100], "loadBalancers": [lb],
                "nodeSelector": node_selector,
                "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]
            }]}
        ]});
        let first = create_pipeline(addr, deploy("First", "", json!({}))).await;
        let done = finished(addr, &start_execution(addr, &first, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));

        // The new server group's Pods wait for a node with the label: killed while at 50 %.
        let rolling = create_pipeline(addr, deploy("Rolling", "rollingredblack", json!({ROLLING_NODE_LABEL: label}))).await;
        let id = start_execution(addr, &rolling, json!({})).await;
        let at_half = |e: &Value| {
            stage(e, "Deploy")["tasks"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["name"] == "Wait for 1/1 Pods to be Ready" && t["status"] == "RUNNING"))
        };
        wait_execution(addr, &id, "the rolling deploy at 50 %", at_half).await;
        server.kill_9();
        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        wait_execution(addr, &id, "the rolling deploy at 50 % again", at_half).await;
        let nodes: Api<Node> = Api::all(client.clone());
        let node = nodes.list(&ListParams::default()).await.expect("nodes").items.into_iter().nth(1).expect("a second node").name_any();
        let patch = |value: Value| json!({"metadata": {"labels": {ROLLING_NODE_LABEL: value}}});
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(json!(label)))).await.expect("label the node");
        let done = finished(addr, &id).await;
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(Value::Null))).await.expect("unlabel the node");
        drop(server);

        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client, &namespace);
        let mut sets = replica_sets.list(&ListParams::default()).await.expect("list").items;
        sets.sort_by_key(|rs| rs.name_any());
        let names: Vec<String> = sets.iter().map(|rs| rs.name_any()).collect();
        assert_eq!(names, [format!("{app}-web-v000"), format!("{app}-web-v001")], "exactly one new ReplicaSet");
        assert_eq!(sets[1].spec.as_ref().and_then(|s| s.replicas), Some(2));
        let moved: Vec<&str> = stage(&done, "Deploy")["tasks"].as_array().unwrap().iter()
            .filter(|t| t["name"].as_str().is_some_and(|n| n.starts_with("Move ")))
            .filter_map(|t| t["status"].as_str())
            .collect();
        assert_eq!(moved, ["SUCCEEDED", "SUCCEEDED"], "each share moved once");
    })
    .await;
}
