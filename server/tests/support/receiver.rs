//! A webhook receiver on 127.0.0.1 that keeps every call it gets: its `Idempotency-Key`
//! header ("" when there is none) and its body.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Receiver {
    /// Calls go to `http://{addr}/hook`.
    pub addr: SocketAddr,
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    /// Starts one that answers 200 after `delay` (so a kill can land while a call is open).
    pub async fn start(delay: Duration) -> Receiver {
        let calls: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let kept = calls.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                kept.lock().expect("the calls").push((key, body));
                async move {
                    tokio::time::sleep(delay).await;
                    "ok"
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, calls }
    }

    /// Every call so far: (Idempotency-Key, body).
    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().expect("the calls").clone()
    }
}
