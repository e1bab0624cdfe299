//! Tasks survive `kill -9` of the server: a create-server-group task waiting for Pods that
//! cannot be scheduled yet is killed mid-wait, the server restarts on the same data, and the
//! task resumes at its wait step, without choosing a new version or creating a second
//! ReplicaSet; once a node accepts the Pods, it succeeds. A waiting step keeps the deadline it
//! started with across the restart. A task stored by an earlier version (schema 1) loads and
//! resumes.

mod support;

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use support::binary::{start_binary, start_binary_with, wait_until_serving};
use support::cluster::{
    call, create_application, in_scratch_namespace, submit, test_cluster, unique, wait_for_task,
};

const NODE_LABEL: &str = "gennaker.io/test-resume";

#[tokio::test]
async fn a_task_resumes_after_kill_9_without_repeating_a_step() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let data = tempfile::tempdir().expect("a temporary directory");
        let (first, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let app = unique("resume");
        create_application(addr, &app).await;
        let label = unique("r");
        let context = kube::config::Kubeconfig::read_from(&kubeconfig).ok().and_then(|k| k.current_context).expect("a current context");
        let task = submit(addr, json!({"type": "createServerGroup", "spec": {
            "application": app, "account": context, "namespace": namespace, "image": "nginx:1.27", "replicas": 2,
            "nodeSelector": {NODE_LABEL: label},
        }}))
        .await;
        let id = task["id"].as_str().expect("id").to_string();
        let waiting = wait_for_task(addr, &id, "the wait step", |t| t["steps"][2]["status"] == "Running" && t["steps"][2]["message"] == "0 of 2 Pods Ready").await;

        first.kill_9();

        let (second, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let (status, resumed) = call(addr, "GET", &format!("/api/v1/tasks/{id}"), None).await;
        assert_eq!(status, 200);
        assert_eq!(resumed["status"], "Running");
        assert_eq!(resumed["steps"][0], waiting["steps"][0], "the version is not chosen again");
        assert_eq!(resumed["steps"][1], waiting["steps"][1], "the ReplicaSet is not created again");

        // Let a node take the Pods.
        let nodes: Api<Node> = Api::all(client.clone());
        let node = nodes.list(&ListParams::default()).await.expect("nodes").items.into_iter().next().expect("a node").name_any();
        let patch = |value: serde_json::Value| json!({"metadata": {"labels": {NODE_LABEL: value}}});
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(json!(label)))).await.expect("label the node");
        let done = wait_for_task(addr, &id, "the task to finish", |t| t["status"] != "Running").await;
        nodes.patch(&node, &PatchParams::default(), &Patch::Merge(patch(serde_json::Value::Null))).await.expect("unlabel the node");
        drop(second);

        assert_eq!(done["status"], "Succeeded", "{done:#}");
        assert_eq!(done["steps"][1]["endedAt"], waiting["steps"][1]["endedAt"]);
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client, &namespace);
        let names: Vec<String> = replica_sets.list(&ListParams::default()).await.expect("list").items.iter().map(|rs| rs.name_any()).collect();
        assert_eq!(names, [format!("{app}-v000")], "exactly one ReplicaSet, at the first version");
    })
    .await;
}

/// The account name the binary gives the test cluster: its kubeconfig's current context.
fn context_of(kubeconfig: &Path) -> String {
    kube::config::Kubeconfig::read_from(kubeconfig)
        .ok()
        .and_then(|k| k.current_context)
        .expect("a current context")
}

fn timestamp(value: &serde_json::Value) -> gennaker_core::time::Timestamp {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
}

#[tokio::test]
async fn a_waiting_step_keeps_its_deadline_across_kill_9() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&_client, move |_client, namespace| async move {
        let data = tempfile::tempdir().expect("a temporary directory");
        let settings = [("GENNAKER_TASKS__WAIT_TIMEOUT", "30s")];
        let (first, addr) = start_binary_with(&kubeconfig, data.path(), &settings);
        wait_until_serving(addr).await;
        let app = unique("deadline");
        create_application(addr, &app).await;
        // Pods that no node will take: the wait can only end by its deadline.
        let task = submit(
            addr,
            json!({"type": "createServerGroup", "spec": {
                "application": app, "account": context_of(&kubeconfig), "namespace": namespace,
                "image": "nginx:1.27", "replicas": 1, "nodeSelector": {NODE_LABEL: "nowhere"},
            }}),
        )
        .await;
        let id = task["id"].as_str().expect("id").to_string();
        let waiting = wait_for_task(addr, &id, "the wait step", |t| {
            t["steps"][2]["status"] == "Running"
        })
        .await;
        let started = timestamp(&waiting["steps"][2]["startedAt"]);
        let deadline = timestamp(&waiting["steps"][2]["deadline"]);
        assert_eq!(deadline.since(started), Duration::from_secs(30));

        tokio::time::sleep(Duration::from_secs(8)).await;
        first.kill_9();
        let (second, addr) = start_binary_with(&kubeconfig, data.path(), &settings);
        wait_until_serving(addr).await;
        let restarted = gennaker_core::time::Timestamp::now();
        let (_, resumed) = call(addr, "GET", &format!("/api/v1/tasks/{id}"), None).await;
        assert_eq!(
            resumed["steps"][2]["deadline"], waiting["steps"][2]["deadline"],
            "the deadline is not renewed"
        );

        let done = wait_for_task(addr, &id, "the deadline", |t| t["status"] != "Running").await;
        drop(second);
        assert_eq!(done["status"], "Failed", "{done:#}");
        let error = done["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("Wait for 1/1 Pods to be Ready: timed out after 30 s"),
            "{error}"
        );
        let ended = timestamp(&done["steps"][2]["endedAt"]);
        assert!(
            ended >= deadline,
            "ended {ended} before its deadline {deadline}"
        );
        // A fresh 30 s from the restart would have ended 10 s or more later than this.
        assert!(
            ended < restarted.plus(Duration::from_secs(30)),
            "ended {ended}: the restart gave the step a new 30 s (restarted {restarted})"
        );
    })
    .await;
}

/// A task as the previous version stored it (schema 1: `operation` rather than `origin`,
/// timestamps with nanoseconds, no deadlines or attempts on steps).
const SCHEMA_1: &str = include_str!("fixtures/task-schema-1.json");

#[tokio::test]
async fn a_task_stored_by_the_previous_version_loads_and_resumes() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let app = unique("schema");
        let account = context_of(&kubeconfig);
        // The server group the old task was resizing, already at its size.
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
        let name = format!("{app}-v000");
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"app.kubernetes.io/name": app}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"server-group": name}},
                "template": {"metadata": {"labels": {"server-group": name, "app.kubernetes.io/name": app}},
                    "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}}
        }))
        .expect("a ReplicaSet");
        replica_sets.create(&Default::default(), &rs).await.expect("create the ReplicaSet");

        let id = "019ac1f2-6a3c-7d2e-8f40-2b9c1d0e5a71";
        // Started ten seconds ago, to the second; the fixture adds the fractions.
        let now = gennaker_core::time::Timestamp::now().to_string();
        let ten_seconds_ago = gennaker_core::time::Timestamp::from_millis(
            gennaker_core::time::Timestamp::now().as_millis() - 10_000,
        )
        .to_string();
        let second = ten_seconds_ago.get(..19).unwrap_or(&now).to_string();
        let stored = SCHEMA_1
            .replace("2026-11-20T09:15:02", &second)
            .replace("@ID@", id)
            .replace("@APP@", &app)
            .replace("@ACCOUNT@", &account)
            .replace("@NAMESPACE@", &namespace)
            .replace("@NAME@", &name);
        let data = tempfile::tempdir().expect("a temporary directory");
        let tasks = data.path().join("data/store/tasks");
        std::fs::create_dir_all(&tasks).expect("the tasks directory");
        std::fs::write(tasks.join(format!("{id}.json")), stored).expect("write the old task");

        let (server, addr) = start_binary(&kubeconfig, data.path());
        wait_until_serving(addr).await;
        let (status, listed) = call(addr, "GET", &format!("/api/v1/tasks?application={app}"), None).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed[0]["id"], id);
        assert_eq!(listed[0]["origin"]["kind"], "operation");
        assert_eq!(listed[0]["origin"]["operation"]["type"], "resizeServerGroup");
        assert_eq!(listed[0]["createdAt"], format!("{second}.123Z"));
        let done = wait_for_task(addr, id, "the old task to finish", |t| t["status"] != "Running").await;
        drop(server);
        assert_eq!(done["status"], "Succeeded", "{done:#}");
        assert_eq!(done["steps"][0]["status"], "Succeeded");
        assert_eq!(done["steps"][1]["message"], "1 of 1 Pods Ready");
    })
    .await;
}
