//! Against the local cluster (end2end/cluster/up.sh): a Deployment of 2 replicas in a fresh
//! namespace gets 2 Ready Pods from kwok's fake nodes. Under `CI=true` a missing cluster fails
//! the test; elsewhere the test says why it did not run.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client};
use serde_json::json;

/// A client for the test cluster, or `None` when there is none and the run is not CI.
async fn test_cluster() -> Option<Client> {
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
    let kubeconfig = kube::config::Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read KUBECONFIG {}: {e}", path.display()));
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap_or_else(|e| panic!("KUBECONFIG {} is not usable: {e}", path.display()));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("cannot build a client: {e}"));
    match client.apiserver_version().await {
        Ok(_) => Some(client),
        Err(error) if !in_ci => {
            eprintln!("the cluster in KUBECONFIG is not reachable ({error}); skipping");
            None
        }
        Err(error) => panic!("CI=true but the cluster in KUBECONFIG is not reachable: {error}"),
    }
}

/// Runs `body` in a fresh namespace and deletes the namespace afterwards, also when `body`
/// panics (the panic is then resumed, so the test still fails with its message).
async fn in_scratch_namespace<F, Fut>(client: &Client, body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!("gennaker-it-{}-{nanos}", std::process::id());
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

#[tokio::test]
async fn deployment_of_two_replicas_gets_two_ready_pods() {
    let Some(client) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, deploy_two_replicas).await;
}

async fn deploy_two_replicas(client: Client, namespace: String) {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": { "name": "web" },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "web", "image": "registry.example/web:1" }] }
            }
        }
    }))
    .expect("a literal deployment");
    deployments
        .create(&PostParams::default(), &deployment)
        .await
        .unwrap_or_else(|e| panic!("cannot create the deployment: {e}"));

    let available = await_condition(
        deployments.clone(),
        "web",
        conditions::is_deployment_completed(),
    );
    tokio::time::timeout(Duration::from_secs(120), available)
        .await
        .expect("the deployment did not complete within 120 s")
        .expect("watching the deployment failed");

    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let listed = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("cannot list the pods");
    let ready = listed
        .items
        .iter()
        .filter(|pod| {
            pod.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    assert_eq!(
        ready,
        2,
        "expected 2 Ready pods, got {ready} of {}",
        listed.items.len()
    );
    assert!(
        listed.items.iter().all(|p| p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| n.starts_with("kwok-node-"))),
        "every pod is scheduled onto a kwok node"
    );
}
