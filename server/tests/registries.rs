//! Docker-registry accounts against the test registry (Debian's docker-registry with TLS from a
//! private CA and htpasswd auth, started by end2end/services/registry.sh, with images pushed by
//! skopeo): health, catalog, tags, and the errors of wrong credentials, an unknown CA and an
//! unreachable registry. Under `CI=true` a missing registry fails the test.

mod support;

use std::time::Duration;

use gennaker::config::DockerRegistryAccount;
use serde_json::Value;
use support::cluster::{
    call, create_application, in_scratch_namespace, kubernetes_config, run, test_cluster, unique,
};

fn test_registry() -> Option<DockerRegistryAccount> {
    support::registry::account()
}

async fn health_of(addr: std::net::SocketAddr, name: &str) -> Value {
    for _ in 0..100 {
        let (_, registries) = call(addr, "GET", "/api/v1/docker-registries", None).await;
        let health = registries
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .map(|r| r["health"].clone())
            .unwrap_or(Value::Null);
        if health["status"] != "Connecting" {
            return health;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the registry {name} was never checked");
}

#[tokio::test]
async fn repositories_and_tags_come_from_the_registry() {
    let Some(registry) = test_registry() else {
        return;
    };
    let server = support::Setup::default()
        .registries(vec![registry])
        .start()
        .await;
    let addr = server.addr;
    let health = health_of(addr, "test").await;
    assert_eq!(health["status"], "Healthy", "{health}");

    let (status, list) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/test/repositories",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list["repositories"],
        serde_json::json!(["gennaker/hello", "gennaker/worker"])
    );
    assert!(list["warning"].is_null());

    let (status, tags) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/test/tags?repository=gennaker/hello",
        None,
    )
    .await;
    assert_eq!(status, 200, "{tags}");
    assert_eq!(tags, serde_json::json!(["2.0.0", "1.1.0", "1.0.0"]));

    let (status, body) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/test/tags?repository=gennaker/missing",
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/nope/repositories",
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn wrong_credentials_an_unknown_ca_and_an_unreachable_registry_are_reported() {
    let Some(good) = test_registry() else { return };
    let wrong_password = DockerRegistryAccount {
        name: "wrong-password".into(),
        credentials: Some(("gennaker-test".into(), "not-the-password".into())),
        repositories: vec!["team/listed-by-hand".into()],
        ..good.clone()
    };
    let unknown_ca = DockerRegistryAccount {
        name: "unknown-ca".into(),
        ca_pem: None,
        ..good.clone()
    };
    let unreachable = DockerRegistryAccount {
        name: "unreachable".into(),
        address: "127.0.0.1:1".into(),
        ..good.clone()
    };
    let server = support::Setup::default()
        .registries(vec![wrong_password, unknown_ca, unreachable])
        .start()
        .await;
    let addr = server.addr;

    let health = health_of(addr, "wrong-password").await;
    assert_eq!(health["status"], "Unreachable");
    assert!(
        health["message"]
            .as_str()
            .is_some_and(|m| m.contains("401")),
        "{health}"
    );
    let (status, list) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/wrong-password/repositories",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list["repositories"],
        serde_json::json!(["team/listed-by-hand"]),
        "the hand-made list is still offered"
    );
    assert!(
        list["warning"]
            .as_str()
            .is_some_and(|w| w.contains("refused the credentials")),
        "{list}"
    );

    let health = health_of(addr, "unknown-ca").await;
    assert_eq!(health["status"], "Unreachable");
    assert!(
        health["message"].as_str().is_some_and(
            |m| m.to_lowercase().contains("certificate") || m.contains("UnknownIssuer")
        ),
        "{health}"
    );

    let health = health_of(addr, "unreachable").await;
    assert_eq!(health["status"], "Unreachable");
    let (status, body) = call(
        addr,
        "GET",
        "/api/v1/docker-registries/unreachable/tags?repository=gennaker/hello",
        None,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("unreachable")),
        "{body}"
    );
}

#[tokio::test]
async fn a_server_group_from_a_linked_registry_pulls_with_its_credentials() {
    let Some(registry) = test_registry() else {
        return;
    };
    let Some((client, path)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let mut kubernetes = kubernetes_config(&path);
        kubernetes.accounts[0].docker_registries = vec!["test".into()];
        let address = registry.address.clone();
        let username = registry
            .credentials
            .clone()
            .map(|(u, _)| u)
            .unwrap_or_default();
        let server = support::Setup::default()
            .kubernetes(kubernetes)
            .registries(vec![registry])
            .start()
            .await;
        let app = unique("pull");
        create_application(server.addr, &app).await;
        let task = run(
            server.addr,
            serde_json::json!({"type": "createServerGroup", "spec": {
                "application": app, "account": "local", "namespace": namespace,
                "image": format!("{address}/gennaker/hello:1.0.0"), "replicas": 1,
            }}),
        )
        .await;
        assert_eq!(
            task["steps"][1]["action"]["type"], "ensurePullSecret",
            "{task:#}"
        );

        let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(client.clone(), &namespace);
        let secret = secrets
            .get("gennaker-registry-test")
            .await
            .expect("the pull Secret exists");
        assert_eq!(
            secret.type_.as_deref(),
            Some("kubernetes.io/dockerconfigjson")
        );
        let config = secret
            .data
            .and_then(|d| d.get(".dockerconfigjson").cloned())
            .expect("docker config");
        let config: Value = serde_json::from_slice(&config.0).expect("JSON");
        assert_eq!(config["auths"][&address]["username"], username.as_str());

        let replica_sets: kube::Api<k8s_openapi::api::apps::v1::ReplicaSet> =
            kube::Api::namespaced(client, &namespace);
        let rs = replica_sets
            .get(&format!("{app}-v000"))
            .await
            .expect("the ReplicaSet");
        let pull = rs
            .spec
            .and_then(|s| s.template)
            .and_then(|t| t.spec)
            .and_then(|p| p.image_pull_secrets)
            .unwrap_or_default();
        assert_eq!(
            pull.first().map(|r| r.name.as_str()),
            Some("gennaker-registry-test")
        );
    })
    .await;
}
