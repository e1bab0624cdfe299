//! Notifications through the real server: e-mail to the test SMTP server (aiosmtpd, started by
//! end2end/services/smtp.sh, writing a Maildir), a Slack-compatible webhook and a JSON webhook
//! received by a small axum server in this test; the Manual Judgment's link; retries of a
//! failing webhook recorded per execution and on the channel's health.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gennaker::config::{NotificationsConfig, Secrets, SmtpSettings, SmtpTls};
use serde_json::{Value, json};
use support::cluster::{call, create_application};
use support::pipelines::{create_pipeline, finished, judge, start_execution, wait_execution};
use support::{Setup, start_setup};
use tokio::net::TcpListener;

/// What the receiver got: (path, JSON body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// An HTTP server on 127.0.0.1 (axum) that records every POST; `/flaky` answers 500 twice first.
async fn receiver() -> (SocketAddr, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address");
    let received: Received = Arc::default();
    let record = received.clone();
    let flaky = Arc::new(Mutex::new(0u32));
    let app = axum::Router::new().fallback(axum::routing::post(
        move |uri: axum::http::Uri, body: String| {
            let path = uri.path().to_string();
            let fail = path == "/flaky" && {
                let mut count = flaky.lock().expect("a lock");
                *count += 1;
                *count <= 2
            };
            if !fail {
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                record.lock().expect("a lock").push((path, body));
            }
            async move {
                if fail {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        },
    ));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, received)
}

async fn wait_for<T>(what: &str, limit: Duration, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `text` with quoted-printable's soft line breaks and escapes undone (the e-mails' bodies).
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The texts of the e-mails in the Maildir that mention `needle`.
fn mails(maildir: &str, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(format!("{maildir}/{sub}")) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                let text = quoted_printable(&text);
                if text.contains(needle) {
                    found.push(text);
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn email_slack_and_webhook_notifications_with_the_judgment_link_and_retries() {
    let var = |name: &str| std::env::var(format!("GENNAKER_TEST_SMTP_{name}")).ok();
    let (Some(port), Some(maildir)) = (var("PORT"), var("MAILDIR")) else {
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "CI=true but GENNAKER_TEST_SMTP_* is not set: start end2end/services/smtp.sh first"
        );
        eprintln!("GENNAKER_TEST_SMTP_* is not set: this test needs the test SMTP server");
        return;
    };
    let (hooks, received) = receiver().await;
    let slack_url = format!("http://{hooks}/slack/T000/B000/s3cr3t-token");
    let server = start_setup(
        Setup {
            secrets: Secrets::from_pairs([("slack-hook".to_string(), slack_url.clone())]),
            notifications: NotificationsConfig {
                public_url: Some("https://gennaker.example.com".into()),
                smtp: Some(SmtpSettings {
                    host: "127.0.0.1".into(),
                    port: port.parse().expect("a port"),
                    tls: SmtpTls::None,
                    from: "Gennaker <gennaker@example.com>".into(),
                    credentials: None,
                }),
            },
            ..Setup::default()
        },
        None,
    )
    .await;
    let addr = server.addr;
    let app = support::cluster::unique("notify");
    create_application(addr, &app).await;
    let to = format!("{app}@example.com");
    let pipeline = create_pipeline(
        addr,
        json!({"application": app, "name": "Release",
            "notifications": [
                {"type": "email", "address": to, "level": "pipeline", "when": ["pipeline.complete"],
                 "message": {"pipeline.complete": {"text": "Shipped."}}},
                {"type": "webhook", "address": format!("http://{hooks}/hook"), "when": ["pipeline.starting", "pipeline.complete"]},
                {"type": "webhook", "address": format!("http://{hooks}/flaky"), "when": ["pipeline.starting"]}
            ],
            "stages": [{"refId": "1", "type": "manualJudgment", "name": "Approve", "requisiteStageRefIds": [],
                "instructions": "Check the canary.", "sendNotifications": true,
                "notifications": [
                    {"type": "slack", "address": "#deploys", "secretName": "slack-hook", "when": ["manualJudgment", "manualJudgmentContinue"]},
                    {"type": "email", "address": to, "when": ["manualJudgment"]}
                ]}]}),
    )
    .await;
    // An unknown secret is refused when saving.
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": app, "name": "Bad", "stages": [],
            "notifications": [{"type": "slack", "secretName": "nope", "when": ["pipeline.failed"]}]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["fields"][0]["field"], "notifications[0].secretName");

    let id = start_execution(addr, &pipeline, json!({})).await;
    let judgment =
        format!("https://gennaker.example.com/applications/{app}/executions/{id}/judgment?stage=");
    // Awaiting: Slack with the link to the judgment, and an e-mail with it.
    let slack = wait_for("the Slack message", Duration::from_secs(20), || {
        received
            .lock()
            .expect("a lock")
            .iter()
            .find(|(path, _)| path.starts_with("/slack/"))
            .map(|(_, body)| body.clone())
    })
    .await;
    let text = slack["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("stage Approve is awaiting a judgment"),
        "{text}"
    );
    assert!(text.contains(&judgment), "{text}");
    assert!(text.contains("Check the canary."), "{text}");
    assert_eq!(slack["channel"], "#deploys");
    let awaiting = wait_for("the judgment e-mail", Duration::from_secs(20), || {
        mails(&maildir, "awaiting a judgment")
            .into_iter()
            .find(|m| m.contains(&id))
    })
    .await;
    assert!(awaiting.contains(&judgment), "{awaiting}");
    assert!(awaiting.contains(&format!("To: {to}")), "{awaiting}");

    let execution = wait_execution(addr, &id, "the judgment to wait", |e| {
        e["stages"][0]["status"] == "RUNNING"
    })
    .await;
    let stage = execution["stages"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, body) = judge(addr, &id, &stage, json!({"judgmentStatus": "continue"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(finished(addr, &id).await["status"], "SUCCEEDED");

    let complete = wait_for("the completion e-mail", Duration::from_secs(20), || {
        mails(&maildir, "pipeline complete")
            .into_iter()
            .find(|m| m.contains(&id))
    })
    .await;
    assert!(complete.contains("Shipped."), "{complete}");
    assert!(complete.contains(&format!(
        "https://gennaker.example.com/applications/{app}/executions/{id}"
    )));
    let hook = wait_for("the completion webhook", Duration::from_secs(20), || {
        received
            .lock()
            .expect("a lock")
            .iter()
            .find(|(path, body)| path == "/hook" && body["event"] == "pipeline.complete")
            .map(|(_, body)| body.clone())
    })
    .await;
    assert_eq!(hook["executionId"], id.as_str());
    assert_eq!(hook["status"], "SUCCEEDED");

    // Every delivery is recorded: the flaky one after three attempts; the secret never shows.
    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let (status, list) = call(
            addr,
            "GET",
            &format!("/api/v1/executions/{id}/notifications"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let all_sent = list
            .as_array()
            .is_some_and(|l| l.len() == 7 && l.iter().all(|d| d["status"] == "Sent"));
        if all_sent {
            break list;
        }
        assert!(Instant::now() < deadline, "not all sent: {list:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let flaky = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["to"].as_str().is_some_and(|t| t.ends_with("/flaky")))
        .cloned()
        .unwrap_or_default();
    assert_eq!(flaky["attempts"], 3, "{flaky}");
    let slack_delivery = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["channel"] == "slack")
        .cloned()
        .unwrap_or_default();
    assert_eq!(slack_delivery["to"], "#deploys (secret slack-hook)");
    assert!(
        !list.to_string().contains("s3cr3t-token"),
        "the secret never shows"
    );
    let (_, channels) = call(addr, "GET", "/api/v1/notification-channels", None).await;
    assert!(!channels.to_string().contains("s3cr3t-token"));
    let events: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["event"].as_str())
        .collect();
    for event in [
        "pipeline.starting",
        "manualJudgment",
        "manualJudgmentContinue",
        "pipeline.complete",
    ] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_retried_and_shows_on_the_channels() {
    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("an address")
    };
    let server = start_setup(Setup::default(), None).await;
    let addr = server.addr;
    create_application(addr, "failing").await;
    let pipeline = create_pipeline(
        addr,
        json!({"application": "failing", "name": "Unheard",
            "notifications": [{"type": "webhook", "address": format!("http://{closed}/hook"), "when": ["pipeline.starting"]}],
            "stages": [support::pipelines::wait_stage("1", "Wait", 0, &[])]}),
    )
    .await;
    let id = start_execution(addr, &pipeline, json!({})).await;
    finished(addr, &id).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = call(
            addr,
            "GET",
            &format!("/api/v1/executions/{id}/notifications"),
            None,
        )
        .await;
        let attempts = list[0]["attempts"].as_u64().unwrap_or(0);
        if attempts >= 2 {
            assert_eq!(list[0]["status"], "Pending", "{list}");
            assert!(
                list[0]["lastError"]
                    .as_str()
                    .is_some_and(|e| e.contains("cannot be reached")),
                "{list}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not retried: {list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, channels) = call(addr, "GET", "/api/v1/notification-channels", None).await;
    let channel = channels
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["to"]
                .as_str()
                .is_some_and(|t| t.contains(&closed.to_string()))
        })
        .cloned()
        .unwrap_or_default();
    assert!(channel["failures"].as_u64() >= Some(2), "{channels}");
}
