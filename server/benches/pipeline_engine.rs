//! Prints how the pipeline engine keeps up with 1,000 executions at once of a five-stage
//! pipeline (Wait stages of 1 s: one, then a fork of two, their join, and a last one) on the
//! embedded store: stage transitions per second (a stage's start and its end are two),
//! the delay from a stage being ready (its upstream stages done) to its start (p50, p99),
//! whether any execution was lost, and the process's peak memory. Figures only.
//!
//! Run: `cargo bench -p gennaker --bench pipeline_engine` (`EXECUTIONS=200` for a smaller run).

mod support;

use std::time::{Duration, Instant};

use gennaker::config::StoreConfig;
use serde_json::{Value, json};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    gennaker::install_crypto_provider();
    let executions: usize = std::env::var("EXECUTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let data = tempfile::tempdir().expect("a temporary directory");
    let store = StoreConfig::Embedded {
        dir: data.path().join("store"),
    };
    let (addr, _server) = support::serve(data.path(), store).await;
    let (status, _) = support::send(
        addr,
        "POST",
        "/api/v1/applications",
        Some(r#"{"name":"bench","ownerEmail":"bench@example.com"}"#),
    )
    .await;
    assert_eq!(status, 201);
    let wait = |ref_id: &str, requisites: &[&str]| {
        json!({"refId": ref_id, "requisiteStageRefIds": requisites, "type": "wait",
               "name": format!("Wait {ref_id}"), "waitTime": 1})
    };
    let pipeline = json!({"application": "bench", "name": "Fork and join", "stages": [
        wait("1", &[]), wait("2", &["1"]), wait("3", &["1"]), wait("4", &["2", "3"]), wait("5", &["4"])
    ]});
    let (status, created) = support::send(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(&pipeline.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = support::body(&created)["config"]["id"]
        .as_str()
        .expect("an id")
        .to_string();

    let started = Instant::now();
    let mut starts = tokio::task::JoinSet::new();
    for _ in 0..executions {
        let path = format!("/api/v1/pipelines/{id}/executions");
        starts.spawn(async move {
            let (status, body) = support::send(addr, "POST", &path, Some("{}")).await;
            assert_eq!(status, 202, "{body}");
            support::body(&body)["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
    }
    let ids: Vec<String> = starts.join_all().await;
    let all_started = started.elapsed();

    // Wait until every execution has ended (looked at every 2 s: the listing reads every
    // execution, and the figures come from the stages' own times, not from this loop).
    let mut done: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(900);
    while done.len() < executions && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (_, body) = support::send(
            addr,
            "GET",
            "/api/v1/executions?application=bench&status=SUCCEEDED,TERMINAL,CANCELED&limit=1000",
            None,
        )
        .await;
        done = support::body(&body).as_array().cloned().unwrap_or_default();
    }
    let elapsed = started.elapsed();
    let succeeded = done.iter().filter(|e| e["status"] == "SUCCEEDED").count();
    let mut delays = Vec::new();
    let mut first_start = i64::MAX;
    let mut last_end = 0;
    for execution in &done {
        let stages = execution["stages"].as_array().cloned().unwrap_or_default();
        let end_of = |ref_id: &str| {
            stages
                .iter()
                .find(|s| s["refId"] == ref_id)
                .and_then(|s| s["endTime"].as_i64())
        };
        for stage in &stages {
            let (Some(start), Some(end)) = (stage["startTime"].as_i64(), stage["endTime"].as_i64())
            else {
                continue;
            };
            first_start = first_start.min(start);
            last_end = last_end.max(end);
            let ready = stage["requisiteStageRefIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().and_then(end_of))
                .max()
                .or_else(|| execution["startTime"].as_i64());
            if let Some(ready) = ready {
                delays.push(start - ready);
            }
        }
    }
    delays.sort_unstable();
    let transitions = done.len() * 5 * 2;
    let span = Duration::from_millis(u64::try_from(last_end - first_start).unwrap_or(0));
    println!(
        "pipeline engine: {executions} executions of a 5-stage fork/join pipeline (Wait 1 s each) on the embedded store"
    );
    println!(
        "  all started in {:.1} s; all ended after {:.1} s; {succeeded} succeeded, {} lost",
        all_started.as_secs_f64(),
        elapsed.as_secs_f64(),
        executions - done.len(),
    );
    println!(
        "  {transitions} stage transitions in {:.1} s: {:.0} transitions/s",
        span.as_secs_f64(),
        transitions as f64 / span.as_secs_f64().max(0.001)
    );
    println!(
        "  ready → started: p50 {} ms, p99 {} ms, max {} ms",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0)
    );
    println!("  peak RSS {:.0} MiB", peak_rss_mib());
    let _ = ids;
}
