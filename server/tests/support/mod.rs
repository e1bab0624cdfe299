//! A Gennaker server on 127.0.0.1 for integration tests, and requests to it (reqwest).
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the support module"
)]

pub mod artifact_servers;
pub mod binary;
pub mod cluster;
pub mod pipelines;
pub mod receiver;
pub mod registry;

use std::path::PathBuf;

use gennaker::config::{
    Config, DockerRegistryAccount, JenkinsMaster, KubernetesConfig, PipelinesConfig, Secrets,
    StoreConfig, TasksConfig, TriggersConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<Result<(), gennaker::ServerError>>,
    pub data: tempfile::TempDir,
}

/// A server with no accounts; `Setup::default().kubernetes(...).start()` configures one.
pub async fn start() -> TestServer {
    Setup::default().start().await
}

/// What a test server is configured with.
#[derive(Clone, Default)]
pub struct Setup {
    pub kubernetes: KubernetesConfig,
    pub docker_registries: Vec<DockerRegistryAccount>,
    pub jenkins_masters: Vec<JenkinsMaster>,
    pub artifact_accounts: Vec<gennaker::config::ArtifactAccount>,
    pub secrets: Secrets,
    pub triggers: TriggersConfig,
    pub notifications: gennaker::config::NotificationsConfig,
    /// A fixed port (where a registry sends its notifications); any free one when `None`.
    pub port: Option<u16>,
    pub auth: gennaker::config::AuthConfig,
}

impl Setup {
    /// With these Kubernetes accounts.
    pub fn kubernetes(self, kubernetes: KubernetesConfig) -> Setup {
        Setup { kubernetes, ..self }
    }

    /// With these docker-registry accounts.
    pub fn registries(self, docker_registries: Vec<DockerRegistryAccount>) -> Setup {
        Setup {
            docker_registries,
            ..self
        }
    }

    /// With these Jenkins masters.
    pub fn jenkins(self, jenkins_masters: Vec<JenkinsMaster>) -> Setup {
        Setup {
            jenkins_masters,
            ..self
        }
    }

    /// Starts a server so configured, in a new data directory.
    pub async fn start(self) -> TestServer {
        start_setup(self, None).await
    }
}

/// A server configured by `setup`, in `data` (a new directory when `None`).
/// Helm for Bake (Manifest): `GENNAKER_TEST_HELM`, else where end2end/services/helm.sh builds
/// it, else `helm` on PATH.
pub fn helm_path() -> PathBuf {
    std::env::var_os("GENNAKER_TEST_HELM")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/gennaker/bin/helm-v4.3.2/helm"))
                .filter(|p| p.is_file())
        })
        .unwrap_or_else(|| "helm".into())
}

pub async fn start_setup(setup: Setup, data: Option<tempfile::TempDir>) -> TestServer {
    let data = data.unwrap_or_else(|| tempfile::tempdir().expect("a temporary directory"));
    let listener = TcpListener::bind(("127.0.0.1", setup.port.unwrap_or(0)))
        .await
        .expect("bind a port on 127.0.0.1");
    let addr = listener.local_addr().expect("a local address");
    let config = Config {
        listen: addr,
        data_dir: data.path().join("data"),
        site_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"),
        log: "info".into(),
        kubernetes: setup.kubernetes,
        docker_registries: setup.docker_registries,
        jenkins_masters: setup.jenkins_masters,
        artifact_accounts: setup.artifact_accounts,
        secrets: setup.secrets,
        triggers: setup.triggers,
        notifications: setup.notifications,
        store: StoreConfig::Embedded {
            dir: data.path().join("data/store"),
        },
        tasks: TasksConfig::default(),
        pipelines: PipelinesConfig::default(),
        auth: setup.auth,
        gate_path: gennaker::gate::DEFAULT_PATH.to_string(),
        bake: gennaker::config::BakeConfig {
            helm: helm_path(),
            kubectl: std::env::var_os("GENNAKER_KUBECTL")
                .map_or_else(|| "kubectl".into(), PathBuf::from),
        },
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(gennaker::serve(config, listener, async {
        let _ = stopped.await;
    }));
    // The listener is bound already; a first answer means `serve` has prepared the data
    // directory and is handling requests.
    let (status, _) = get(addr, "/healthz").await;
    assert_eq!(status, 200);
    TestServer {
        addr,
        stop: Some(stop),
        task,
        data,
    }
}

impl TestServer {
    /// Stops the server and waits until it has; its data directory stays.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        self.data
    }

    /// Stops the server and starts it again on the same data with `setup`.
    pub async fn restart(self, setup: Setup) -> TestServer {
        let data = self.stop().await;
        start_setup(setup, Some(data)).await
    }
}

/// A plain HTTP/1.1 GET; returns the status code and the body.
pub async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = request(addr, "GET", path, &[], None).await;
    (response.status, response.body)
}

/// A response: status, headers (names lowercased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request with an optional body (JSON unless `headers` give a Content-Type) and
/// extra headers, through reqwest: no redirect is followed, no proxy used.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let response = send(addr, method, path, headers, body).await;
    let status = response.status().as_u16();
    let headers = header_list(response.headers());
    let body = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: reading the body: {e}"));
    Response {
        status,
        headers,
        body,
    }
}

/// The status and the head (status line and headers, names lowercased, one per line) of a
/// request whose body is not waited for (the live-update stream never ends).
pub async fn head_of(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let body = (method != "GET").then_some("");
    let answer = send(addr, method, path, headers, body);
    let response = tokio::time::timeout(std::time::Duration::from_secs(30), answer)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within 30 s"));
    let status = response.status();
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in header_list(response.headers()) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    (status.as_u16(), head)
}

async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> reqwest::Response {
    // A client per request: each test has its own runtime, and pooled connections are tied to
    // the one that made them.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let verb = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut call = client.request(verb, format!("http://{addr}{path}"));
    let mut typed = false;
    for (name, value) in headers {
        typed |= name.eq_ignore_ascii_case("content-type");
        call = call.header(*name, *value);
    }
    if let Some(body) = body {
        if !typed && !body.is_empty() {
            call = call.header("content-type", "application/json");
        }
        call = call.body(body.to_string());
    }
    call.send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn header_list(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).to_string();
            (name.as_str().to_string(), value)
        })
        .collect()
}

/// A request written byte for byte, for a request target no HTTP client sends as it is
/// (`/a/../..`: clients resolve the dots first); the answer's head is read with httparse.
pub async fn raw_get(addr: std::net::SocketAddr, target: &str) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let text = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(text.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let mut names = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut names);
    let Ok(httparse::Status::Complete(length)) = parsed.parse(&raw) else {
        panic!(
            "GET {target}: not an HTTP answer: {}",
            String::from_utf8_lossy(&raw)
        );
    };
    let headers = parsed
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).to_string();
            (h.name.to_lowercase(), value)
        })
        .collect();
    Response {
        status: parsed.code.unwrap_or_default(),
        headers,
        body: String::from_utf8_lossy(&raw[length..]).to_string(),
    }
}
