//! The crash drill: 50 executions of a pipeline with a fork and a join of Waits, Evaluate
//! Variables, Check Preconditions, a Manual Judgment decided while it runs, a Webhook stage
//! to a local receiver that counts calls by `Idempotency-Key`, and a Pipeline stage, while
//! the server is killed with SIGKILL 24 times at random moments. Afterwards:
//! - every execution ended SUCCEEDED (what its graph implies), none lost, none stuck;
//! - no Wait restarted from zero (each ended by its due time, or as soon as the server was
//!   back when it was due while the server was down);
//! - every judgment was kept;
//! - exactly one child execution per Pipeline stage attempt;
//! - no idempotency key came with two different payloads, and every call had a key.
//!
//! Bounded: about two minutes on the debug build.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::binary::{Server, start_without_cluster, wait_until_serving};

const EXECUTIONS: usize = 50;
const KILLS: usize = 24;

/// A request that may meet a server that is down: `None` then.
async fn try_call(
    http: &reqwest::Client,
    addr: SocketAddr,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let mut request = http.request(method, format!("http://{addr}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Deterministic random numbers (xorshift64), so a failing drill can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Where the server is: its address while it runs (`None` while it is down).
type Current = Arc<Mutex<Option<SocketAddr>>>;

fn now_ms() -> i64 {
    gennaker_core::time::Timestamp::now().as_millis()
}

fn millis(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not epoch milliseconds: {value}"))
}

#[tokio::test]
async fn fifty_executions_survive_two_dozen_kill_9s() {
    // The receiver, slow enough that some kills land while a call is in flight.
    let receiver = support::receiver::Receiver::start(Duration::from_millis(150)).await;
    let receiver_addr = receiver.addr;

    let data = tempfile::tempdir().expect("a directory");
    let (server, addr) = start_without_cluster(data.path());
    wait_until_serving(addr).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let app = support::cluster::unique("drill");
    support::cluster::create_application(addr, &app).await;
    let child = support::pipelines::create_pipeline(
        addr,
        json!({"application": app, "name": "Child",
        "limitConcurrent": false,
        "stages": [support::pipelines::wait_stage("1", "Child wait", 1, &[])]}),
    )
    .await;
    let pipeline = support::pipelines::create_pipeline(addr, json!({
        "application": app, "name": "Drill", "limitConcurrent": false,
        "stages": [
            support::pipelines::wait_stage("1", "First wait", 1, &[]),
            support::pipelines::wait_stage("2", "Left wait", 2, &["1"]),
            {"refId": "3", "requisiteStageRefIds": ["1"], "type": "evaluateVariables", "name": "Variables",
             "variables": [{"key": "color", "value": "blue"}]},
            {"refId": "4", "requisiteStageRefIds": ["2", "3"], "type": "checkPreconditions", "name": "Check",
             "preconditions": [{"type": "expression", "context": {"expression": "${color == 'blue'}"}}]},
            {"refId": "5", "requisiteStageRefIds": ["4"], "type": "manualJudgment", "name": "Approve"},
            {"refId": "6", "requisiteStageRefIds": ["5"], "type": "webhook", "name": "Notify", "method": "POST",
             "url": format!("http://{receiver_addr}/hook"), "payload": {"execution": "${execution.id}"}},
            {"refId": "7", "requisiteStageRefIds": ["6"], "type": "pipeline", "name": "Run child",
             "pipeline": child, "waitForCompletion": true}
        ]}))
    .await;

    let current: Current = Arc::new(Mutex::new(Some(addr)));
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let judged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stop = tokio_util::sync::CancellationToken::new();

    // Starts the executions in waves while the kills go on.
    let starter = {
        let (current, started, http, pipeline) = (
            current.clone(),
            started.clone(),
            http.clone(),
            pipeline.clone(),
        );
        tokio::spawn(async move {
            while started.lock().expect("started").len() < EXECUTIONS {
                let Some(addr) = *current.lock().expect("current") else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let path = format!("/api/v1/pipelines/{pipeline}/executions");
                if let Some((202, body)) = try_call(
                    &http,
                    addr,
                    reqwest::Method::POST,
                    &path,
                    Some(json!({"parameters": {}})),
                )
                .await
                    && let Some(id) = body["id"].as_str()
                {
                    started.lock().expect("started").push(id.to_string());
                }
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
        })
    };
    // Decides every judgment that waits, as a person would, whenever the server is up: of
    // every execution the server has, also one whose start answer a kill cut off.
    let judge = {
        let (current, judged, http, stop, pipeline) = (
            current.clone(),
            judged.clone(),
            http.clone(),
            stop.clone(),
            pipeline.clone(),
        );
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let Some(addr) = *current.lock().expect("current") else {
                    continue;
                };
                let Some((200, listed)) = try_call(
                    &http,
                    addr,
                    reqwest::Method::GET,
                    &format!("/api/v1/executions?pipeline={pipeline}&limit=1000"),
                    None,
                )
                .await
                else {
                    continue;
                };
                for e in listed.as_array().into_iter().flatten() {
                    let Some(id) = e["id"].as_str().map(str::to_string) else {
                        continue;
                    };
                    if judged.lock().expect("judged").contains(&id) {
                        continue;
                    }
                    let waiting = e["stages"].as_array().into_iter().flatten().any(|s| {
                        s["refId"] == "5"
                            && s["status"] == "RUNNING"
                            && s["tasks"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|t| t["status"] == "RUNNING")
                    });
                    if !waiting {
                        continue;
                    }
                    let path = format!("/api/v1/executions/{id}/stages/5/judgment");
                    if let Some((status, _)) = try_call(
                        &http,
                        addr,
                        reqwest::Method::POST,
                        &path,
                        Some(json!({"judgmentStatus": "continue"})),
                    )
                    .await
                        && status < 300
                    {
                        judged.lock().expect("judged").insert(id);
                    }
                }
            }
        })
    };

    // The kills, at random moments; each outage is remembered for the Wait check.
    let mut random = Random(0x0dd5_eed5);
    let mut outages: Vec<(i64, i64)> = Vec::new();
    let mut server: Server = server;
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(300 + random.below(2200))).await;
        *current.lock().expect("current") = None;
        let down = now_ms();
        server.kill_9();
        let (next, addr) = start_without_cluster(data.path());
        wait_until_serving(addr).await;
        outages.push((down, now_ms()));
        server = next;
        *current.lock().expect("current") = Some(addr);
    }
    starter.await.expect("the starter");
    let addr = current.lock().expect("current").expect("serving");

    // Everything ends, within bounds.
    // From the server, not from the answers: a start whose answer a kill cut off still runs.
    assert_eq!(started.lock().expect("started").len(), EXECUTIONS);
    let (status, listed) = support::cluster::call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={pipeline}&limit=1000"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<String> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    assert!(
        ids.len() >= EXECUTIONS,
        "none lost: {} of {EXECUTIONS}",
        ids.len()
    );
    let mut ended = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while ended.len() < ids.len() {
        for id in &ids {
            if ended.contains_key(id) {
                continue;
            }
            let e = support::pipelines::execution(addr, id).await;
            if !matches!(
                e["status"].as_str(),
                Some("RUNNING" | "NOT_STARTED" | "PAUSED")
            ) {
                ended.insert(id.clone(), e);
            } else if tokio::time::Instant::now() > deadline {
                panic!(
                    "execution {id} is stuck: {}",
                    support::pipelines::summary(&e)
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.cancel();
    judge.await.expect("the judge");

    // The first time the server answered at or after `due`.
    let served_from = |due: i64| {
        outages
            .iter()
            .find(|(down, up)| *down - 1000 <= due && due < *up)
            .map_or(due, |(_, up)| *up)
    };
    let mut child_parents = BTreeSet::new();
    for (id, e) in &ended {
        assert_eq!(
            e["status"],
            "SUCCEEDED",
            "{id}: {}",
            support::pipelines::summary(e)
        );
        for s in e["stages"].as_array().into_iter().flatten() {
            if s["type"] == "wait" {
                let (start, end) = (millis(&s["startTime"]), millis(&s["endTime"]));
                let due = start + 1000 * s["context"]["waitTime"].as_i64().unwrap_or(0);
                assert!(end >= due, "{id}: {} ended early", s["name"]);
                assert!(
                    end <= served_from(due) + 4000,
                    "{id}: {} restarted from zero (started {start}, due {due}, ended {end}, outages {outages:?})",
                    s["name"]
                );
            }
            let first_task = s["tasks"][0]["startTime"].as_i64();
            if let (Some(stage_start), Some(task_start)) = (s["startTime"].as_i64(), first_task) {
                assert!(
                    stage_start <= task_start,
                    "{id}: {} starts after its first task",
                    s["name"]
                );
            }
        }
        let approve = support::pipelines::stage(e, "Approve");
        assert_eq!(
            approve["context"]["judgmentStatus"], "continue",
            "{id}: the judgment was kept"
        );
        let child_run = support::pipelines::stage(e, "Run child")["outputs"]["executionId"]
            .as_str()
            .expect("the child's id")
            .to_string();
        child_parents.insert(child_run);
    }
    let (status, children) = support::cluster::call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={child}&limit=1000"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let children = children.as_array().cloned().unwrap_or_default();
    assert_eq!(
        children.len(),
        ids.len(),
        "exactly one child per Pipeline stage"
    );
    let child_ids: BTreeSet<String> = children
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        child_ids, child_parents,
        "each child is the one its stage names"
    );

    let sent = receiver.calls();
    let mut calls: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (key, body) in &sent {
        calls.entry(key.clone()).or_default().insert(body.clone());
    }
    assert!(!calls.contains_key(""), "every call had an Idempotency-Key");
    for (key, payloads) in &calls {
        assert_eq!(
            payloads.len(),
            1,
            "key {key} came with different payloads: {payloads:?}"
        );
    }
    assert_eq!(
        calls.len(),
        ids.len(),
        "one key per Webhook stage attempt: {calls:?}"
    );
    eprintln!(
        "crash drill: {EXECUTIONS} executions, {KILLS} kills, {} webhook keys, {} calls ({} repeated after a kill, each with its key)",
        calls.len(),
        sent.len(),
        sent.len() - calls.len()
    );
}
