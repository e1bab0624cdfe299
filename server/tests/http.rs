//! The server over real TCP on 127.0.0.1: health endpoints, the rendered shell, the JSON error
//! for an unknown page, and graceful shutdown.

use std::path::PathBuf;
use std::time::Duration;

use gennaker::config::{Config, KubernetesConfig, StoreConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

struct TestServer {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), gennaker::ServerError>>,
    data: tempfile::TempDir,
}

async fn start() -> TestServer {
    let data = tempfile::tempdir().expect("a temporary directory");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a local address");
    let config = Config {
        listen: addr,
        data_dir: data.path().join("data"),
        site_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"),
        log: "info".into(),
        kubernetes: KubernetesConfig::default(),
        store: StoreConfig::Embedded {
            dir: data.path().join("data/store"),
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

/// A plain HTTP/1.1 GET; returns the status code and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn health_endpoints_answer() {
    let server = start().await;
    let (status, body) = get(server.addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, body) = get(server.addr, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ready\":true"), "{body}");
}

#[tokio::test]
async fn readyz_reports_an_unwritable_data_directory() {
    let server = start().await;
    let data_dir = server.data.path().join("data");
    std::fs::remove_dir_all(&data_dir).expect("remove the data directory");
    std::fs::write(&data_dir, b"not a directory").expect("put a file in its place");
    let (status, body) = get(server.addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("data_dir") && body.contains("cannot write"),
        "{body}"
    );
}

#[tokio::test]
async fn the_shell_is_rendered_on_the_server() {
    let server = start().await;
    let (status, body) = get(server.addr, "/applications").await;
    assert_eq!(status, 200);
    assert!(body.contains("<nav"), "{body}");
    assert!(body.contains("No applications yet"), "{body}");
    assert!(
        body.contains("/pkg/gennaker.js"),
        "the page loads the hydration script: {body}"
    );
    let (status, _) = get(server.addr, "/no-such-page").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn stops_gracefully_when_asked() {
    let mut server = start().await;
    let _ = get(server.addr, "/healthz").await;
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    let result = tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("the server stopped within 10 s")
        .expect("the server task did not panic");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "nothing listens any more"
    );
}
