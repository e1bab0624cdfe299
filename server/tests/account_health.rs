//! An account whose cluster cannot be reached shows as Unreachable with the error, and becomes
//! Healthy by itself once the cluster answers: the test points the account at a port where a
//! TCP relay to the real API server is started only after the server came up.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::cluster::{call, kubernetes_config, test_cluster};
use tokio::net::{TcpListener, TcpStream};

async fn account(addr: std::net::SocketAddr) -> Value {
    let (status, accounts) = call(addr, "GET", "/api/v1/accounts", None).await;
    assert_eq!(status, 200, "{accounts}");
    accounts[0].clone()
}

async fn wait_for_status(addr: std::net::SocketAddr, wanted: &str) -> Value {
    for _ in 0..600 {
        let account = account(addr).await;
        if account["health"]["status"] == wanted {
            return account;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the account never became {wanted}: {}", account(addr).await);
}

#[tokio::test]
async fn an_unreachable_cluster_is_reported_and_recovers_by_itself() {
    let Some((_, path)) = test_cluster().await else {
        return;
    };
    let original = std::fs::read_to_string(&path).expect("read the kubeconfig");
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&original).expect("parse the kubeconfig");
    let server_url = kubeconfig.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.server.clone())
        .expect("a server URL");
    let upstream = server_url.trim_start_matches("https://").to_string();

    // A port nothing listens on yet.
    let relay_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let relayed = dir.path().join("kubeconfig");
    std::fs::write(
        &relayed,
        original.replace(&server_url, &format!("https://127.0.0.1:{relay_port}")),
    )
    .expect("write the kubeconfig");

    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&relayed))
        .start()
        .await;
    let down = wait_for_status(server.addr, "Unreachable").await;
    assert!(
        down["health"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{down}"
    );

    // The cluster "comes back": relay the port to the API server.
    let listener = TcpListener::bind(("127.0.0.1", relay_port))
        .await
        .expect("bind the relay port");
    let relay = tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let up = wait_for_status(server.addr, "Healthy").await;
    assert!(up["health"]["message"].is_null(), "{up}");
    relay.abort();
}
