//! The server over real TCP on 127.0.0.1: health endpoints, the rendered shell, the JSON error
//! for an unknown page, and graceful shutdown.

mod support;

use std::time::Duration;

use support::{get, start};
use tokio::net::TcpStream;

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
    // `gennaker.js`, or `gennaker.<hash>.js` when the site was built with hashed file names.
    let script = body
        .split("rel=\"modulepreload\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    assert!(
        script.is_some_and(|href| href.starts_with("/pkg/gennaker.") && href.ends_with(".js")),
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
