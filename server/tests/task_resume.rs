//! A task survives `kill -9` of the server: a create-server-group task waiting for Pods that
//! cannot be scheduled yet is killed mid-wait, the server restarts on the same data, and the
//! task resumes at its wait step, without choosing a new version or creating a second
//! ReplicaSet; once a node accepts the Pods, it succeeds.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use support::cluster::{
    call, create_application, in_scratch_namespace, submit, test_cluster, unique, wait_for_task,
};

const NODE_LABEL: &str = "gennaker.io/test-resume";

/// A child process that is killed when dropped, also when the test panics.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real `gennaker` binary on a free port with `data` as its data directory.
fn start_binary(kubeconfig: &Path, data: &Path) -> (Server, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let child = Command::new(env!("CARGO_BIN_EXE_gennaker"))
        .env_clear()
        .current_dir(data)
        .args(["--listen", &addr.to_string(), "--log", "info"])
        .arg("--data-dir")
        .arg(data.join("data"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start gennaker");
    (Server(child), addr)
}

async fn wait_until_serving(addr: SocketAddr) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let (status, _) = support::get(addr, "/healthz").await;
            if status == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gennaker did not start on {addr}");
}

#[tokio::test]
async fn a_task_resumes_after_kill_9_without_repeating_a_step() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let data = tempfile::tempdir().expect("a temporary directory");
        let (mut first, addr) = start_binary(&kubeconfig, data.path());
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

        // SIGKILL: no shutdown code runs.
        first.0.kill().expect("kill -9");
        first.0.wait().expect("reap");

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
