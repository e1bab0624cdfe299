//! Against the local cluster (end2end/cluster/up.sh): a Deployment of 2 replicas in a fresh
//! namespace gets 2 Ready Pods from kwok's fake nodes. Under `CI=true` a missing cluster fails
//! the test; elsewhere the test says why it did not run.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client};
use serde_json::json;

mod support;

use support::cluster::{in_scratch_namespace, test_cluster};

#[tokio::test]
async fn deployment_of_two_replicas_gets_two_ready_pods() {
    let Some((client, _)) = test_cluster().await else {
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
