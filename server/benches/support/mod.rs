//! What the benchmarks share: the store settings to measure on, and a server on one.

use gennaker::config::{Config, KubernetesConfig, PipelinesConfig, StoreConfig, TasksConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Starts a server without Kubernetes accounts on `store`, with `data` as its data directory.
pub async fn serve(
    data: &std::path::Path,
    store: StoreConfig,
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
        kubernetes: KubernetesConfig::default(),
        docker_registries: Vec::new(),
        store,
        tasks: TasksConfig::default(),
        pipelines: PipelinesConfig::default(),
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
