//! What the benchmarks share: the store settings to measure on, and a server on one.
#![allow(
    dead_code,
    reason = "each benchmark uses a different part of the support module"
)]

use gennaker::config::{Config, KubernetesConfig, PipelinesConfig, StoreConfig, TasksConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Starts a server without Kubernetes accounts on `store`, with `data` as its data directory.
pub async fn serve(
    data: &std::path::Path,
    store: StoreConfig,
) -> (
    std::net::SocketAddr,
    JoinHandle<Result<(), gennaker::ServerError>>,
) {
    serve_with(data, store, KubernetesConfig::default()).await
}

/// [`serve`] with Kubernetes accounts.
pub async fn serve_with(
    data: &std::path::Path,
    store: StoreConfig,
    kubernetes: KubernetesConfig,
) -> (
    std::net::SocketAddr,
    JoinHandle<Result<(), gennaker::ServerError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = Config {
        listen: addr,
        data_dir: data.to_path_buf(),
        site_root: data.join("site"),
        log: "warn".into(),
        kubernetes,
        docker_registries: Vec::new(),
        jenkins_masters: Vec::new(),
        artifact_accounts: Vec::new(),
        secrets: Default::default(),
        triggers: Default::default(),
        notifications: Default::default(),
        store,
        tasks: TasksConfig::default(),
        pipelines: PipelinesConfig::default(),
        auth: gennaker::config::AuthConfig::default(),
        gate_path: gennaker::gate::DEFAULT_PATH.to_string(),
        bake: gennaker::config::BakeConfig {
            helm: std::env::var_os("GENNAKER_TEST_HELM")
                .map_or_else(|| "helm".into(), std::path::PathBuf::from),
            kubectl: std::env::var_os("GENNAKER_KUBECTL")
                .map_or_else(|| "kubectl".into(), std::path::PathBuf::from),
        },
    };
    let server = tokio::spawn(gennaker::serve(config, listener, std::future::pending()));
    (addr, server)
}
use gennaker::store::s3::S3Settings;

/// The embedded store under `dir`, and S3 when `GENNAKER_TEST_S3_*` name a server (as
/// `scripts/bench.sh` arranges), each with a label; keys under `prefix` plus the time.
pub fn stores(dir: &std::path::Path, prefix: &str) -> Vec<(&'static str, StoreConfig)> {
    let mut stores = vec![(
        "embedded",
        StoreConfig::Embedded {
            dir: dir.join("store"),
        },
    )];
    match std::env::var("GENNAKER_TEST_S3_ENDPOINT") {
        Ok(endpoint) => {
            let variable = |name: &str| std::env::var(name).unwrap_or_default();
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            stores.push((
                "s3 (versitygw on loopback)",
                StoreConfig::S3(S3Settings {
                    bucket: "gennaker-bench".into(),
                    region: "us-east-1".into(),
                    endpoint: Some(endpoint),
                    prefix: format!("{prefix}-{nanos}/"),
                    path_style: true,
                    credentials: Some((
                        variable("GENNAKER_TEST_S3_ACCESS_KEY"),
                        variable("GENNAKER_TEST_S3_SECRET_KEY"),
                    )),
                }),
            ));
        }
        Err(_) => println!(
            "s3: skipped (GENNAKER_TEST_S3_ENDPOINT is not set; scripts/bench.sh starts a server)"
        ),
    }
    stores
}

/// A plain HTTP/1.1 request; returns the status and the whole response (headers and body).
pub async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// The JSON body of a response from [`send`].
pub fn body(response: &str) -> serde_json::Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}
