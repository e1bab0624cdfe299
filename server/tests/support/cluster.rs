//! The local test cluster (end2end/cluster/up.sh): a client, a scratch namespace per test, a
//! Gennaker account for it, and helpers to drive tasks through the API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use gennaker::config::KubernetesConfig;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

use super::request;

/// A client for the test cluster and its kubeconfig, or `None` when there is none and the run
/// is not CI. Under `CI=true` a missing or unreachable cluster fails the test.
pub async fn test_cluster() -> Option<(Client, PathBuf)> {
    gennaker::install_crypto_provider();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Some(path) = std::env::var_os("KUBECONFIG") else {
        assert!(
            !in_ci,
            "CI=true but KUBECONFIG is not set: start end2end/cluster/up.sh first"
        );
        eprintln!("KUBECONFIG is not set: this test needs the local cluster (make test starts it)");
        return None;
    };
    let path = PathBuf::from(path);
    let kubeconfig = kube::config::Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read KUBECONFIG {}: {e}", path.display()));
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap_or_else(|e| panic!("KUBECONFIG {} is not usable: {e}", path.display()));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("cannot build a client: {e}"));
    match client.apiserver_version().await {
        Ok(_) => Some((client, path)),
        Err(error) if !in_ci => {
            eprintln!("the cluster in KUBECONFIG is not reachable ({error}); skipping");
            None
        }
        Err(error) => panic!("CI=true but the cluster in KUBECONFIG is not reachable: {error}"),
    }
}

/// A name unique to this test run: `prefix` plus digits.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}{}{nanos}", std::process::id())
}

/// Runs `body` in a fresh namespace and deletes the namespace afterwards, also when `body`
/// panics (the panic is then resumed, so the test still fails with its message).
pub async fn in_scratch_namespace<F, Fut>(client: &Client, body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let name = unique("gennaker-it-");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = serde_json::from_value(json!({ "metadata": { "name": name } }))
        .expect("a literal namespace");
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));

    let outcome = tokio::spawn(body(client.clone(), name.clone())).await;
    if let Err(error) = namespaces.delete(&name, &DeleteParams::default()).await {
        eprintln!("could not delete namespace {name}: {error}");
    }
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// One account, `local`, for the kubeconfig's current context, in all namespaces.
pub fn kubernetes_config(path: &std::path::Path) -> KubernetesConfig {
    KubernetesConfig::single_account("local", path).expect("a readable kubeconfig")
}

/// Sends a JSON request and returns status and body.
pub async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let text = body.map(|b| b.to_string());
    let response = request(addr, method, path, &[], text.as_deref()).await;
    let value = if response.body.is_empty() {
        Value::Null
    } else {
        response.json()
    };
    (response.status, value)
}

/// Creates an application.
pub async fn create_application(addr: SocketAddr, name: &str) {
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/applications",
        Some(json!({"name": name, "ownerEmail": "team@example.com"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Submits an operation and returns the task as first stored.
pub async fn submit(addr: SocketAddr, operation: Value) -> Value {
    let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(operation)).await;
    assert_eq!(status, 202, "the operation was refused: {body}");
    body
}

/// Polls a task until `done` says so, for at most two minutes.
pub async fn wait_for_task(
    addr: SocketAddr,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let (status, task) = call(addr, "GET", &format!("/api/v1/tasks/{id}"), None).await;
        assert_eq!(status, 200, "{task}");
        if done(&task) {
            return task;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {task:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Submits an operation and waits until its task succeeds.
pub async fn run(addr: SocketAddr, operation: Value) -> Value {
    let task = submit(addr, operation).await;
    let id = task["id"].as_str().expect("a task id").to_string();
    let task = wait_for_task(addr, &id, "the task to finish", |t| {
        t["status"] != "Running"
    })
    .await;
    assert_eq!(
        task["status"], "Succeeded",
        "the task did not succeed: {task:#}"
    );
    task
}

/// Polls `path` until `check` accepts the JSON, for at most a minute.
pub async fn eventually(
    addr: SocketAddr,
    path: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = call(addr, "GET", path, None).await;
        if status == 200 && check(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A new application (named from `prefix`) with a ClusterIP load balancer `{app}-web` in
/// `namespace`; returns both names.
pub async fn application_with_load_balancer(
    addr: SocketAddr,
    prefix: &str,
    namespace: &str,
) -> (String, String) {
    application_with_load_balancer_in(addr, prefix, "local", namespace).await
}

/// Like [`application_with_load_balancer`], in Kubernetes account `account`.
pub async fn application_with_load_balancer_in(
    addr: SocketAddr,
    prefix: &str,
    account: &str,
    namespace: &str,
) -> (String, String) {
    let app = unique(prefix);
    create_application(addr, &app).await;
    run(
        addr,
        json!({"type": "upsertLoadBalancer", "spec": {
            "application": app, "account": account, "namespace": namespace, "stack": "web",
            "type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080}]
        }}),
    )
    .await;
    let lb = format!("{app}-web");
    (app, lb)
}
