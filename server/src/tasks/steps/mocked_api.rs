//! Steps run against a mocked API server ([`FakeApiServer`]): whether a step run again —
//! after a crash between its request and storing its result, or while it waits for the
//! cache — repeats a write. The same steps run against the real cluster in
//! `tests/task_resume.rs` and `tests/crash_drill.rs`; these need no cluster, so they run in
//! every `cargo test`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::Method;
use gennaker_core::applications::model::Permissions;
use gennaker_core::ids::TaskId;
use gennaker_core::infrastructure::names::keys;
use gennaker_core::infrastructure::server_groups::ServerGroupSpec;
use gennaker_core::tasks::model::{Operation, Status, Task};
use gennaker_core::time::Timestamp;
use serde_json::json;

use super::{Executor, Progress};
use crate::config::KubernetesAccount;
use crate::events::EventBus;
use crate::jenkins::JenkinsMasters;
use crate::kubernetes::Kubernetes;
use crate::kubernetes::fake::FakeApiServer;
use crate::registries::DockerRegistries;
use crate::store::StoreError;
use crate::tasks::builders;
use crate::tasks::outcome::{Outcome, StepError};

const REPLICA_SETS: &str = "/apis/apps/v1/namespaces/web/replicasets";

/// What a step recorded: how many sends, and what it was about to do.
#[derive(Default)]
struct Recorded {
    sent: AtomicU32,
    did: Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl Progress for Recorded {
    async fn report(&self, _message: String) {}
    async fn sending(&self) -> Result<u32, StoreError> {
        Ok(self.sent.fetch_add(1, Ordering::SeqCst))
    }
    async fn did(&self, done: Vec<(String, String)>) -> Result<(), StoreError> {
        self.did
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(done);
        Ok(())
    }
}

struct Fixture {
    api: FakeApiServer,
    kubernetes: Kubernetes,
    registries: DockerRegistries,
    jenkins: JenkinsMasters,
    artifacts: crate::artifacts::ArtifactReader,
    http: reqwest::Client,
}

impl Fixture {
    /// Account `fake`, which may use namespace `web`, on a mocked API server whose cache has
    /// made its first lists.
    async fn new() -> Fixture {
        let (api, client) = FakeApiServer::start();
        let events = EventBus::default();
        let account = KubernetesAccount {
            name: "fake".into(),
            context: Some("fake".into()),
            namespaces: vec!["web".into()],
            docker_registries: Vec::new(),
            permissions: Permissions::default(),
        };
        let kubernetes = Kubernetes::from_client(account, client, events.clone());
        kubernetes
            .wait_synced(std::time::Duration::from_secs(10))
            .await;
        Fixture {
            api,
            kubernetes,
            registries: DockerRegistries::new(&[], events).expect("no registries"),
            jenkins: JenkinsMasters::new(&[]).expect("no Jenkins masters"),
            artifacts: crate::artifacts::ArtifactReader::new(&[]),
            http: reqwest::Client::new(),
        }
    }

    /// Runs step `index` of `task` once.
    async fn run(&self, task: &Task, index: usize) -> Result<Outcome, StepError> {
        let progress = Recorded::default();
        let step = &task.steps[index];
        Executor {
            kubernetes: &self.kubernetes,
            registries: &self.registries,
            jenkins: &self.jenkins,
            artifacts: &self.artifacts,
            task,
            step,
            index,
            progress: &progress,
            http: &self.http,
            children: None,
        }
        .run(&step.action)
        .await
    }

    /// Runs step `index` until it is done (the cache catching up with a write); its outputs
    /// go into the task's, as the runner's would.
    async fn run_to_done(&self, task: &mut Task, index: usize) -> String {
        for _ in 0..100 {
            match self.run(task, index).await {
                Ok(Outcome::Done { message, outputs }) => {
                    task.outputs.extend(outputs);
                    task.steps[index].status = Status::Succeeded;
                    return message;
                }
                Ok(Outcome::Pending { .. }) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                other => panic!("step {index} ended with {other:?}"),
            }
        }
        panic!("step {index} stayed pending")
    }
}

/// A create-server-group task of application `web` in `fake`/`web`.
fn create_server_group() -> Task {
    let spec = ServerGroupSpec {
        application: "web".into(),
        account: "fake".into(),
        namespace: "web".into(),
        image: "nginx:1.27".into(),
        replicas: 2,
        ..ServerGroupSpec::default()
    };
    let steps = builders::create_server_group(&spec, None);
    let operation = Operation::CreateServerGroup {
        spec: Box::new(spec),
    };
    gennaker_core::tasks::model::fixture(operation, steps, Timestamp::now(), "mocked")
}

#[tokio::test]
async fn creating_a_replica_set_again_after_a_crash_writes_it_once() {
    let fixture = Fixture::new().await;
    let mut task = create_server_group();
    fixture.run_to_done(&mut task, 0).await;
    assert_eq!(task.created_server_group(), Some("web-v000"));

    let first = fixture.run_to_done(&mut task, 1).await;
    assert_eq!(first, "created web-v000");
    let stored = fixture
        .api
        .get(REPLICA_SETS, "web-v000")
        .expect("the ReplicaSet is stored");
    assert_eq!(
        stored["metadata"]["annotations"][keys::TASK],
        json!(task.id.to_string())
    );

    // The server stopped before it stored the step's result: the step runs again, finds the
    // ReplicaSet its task made, and writes nothing.
    task.steps[1].status = Status::Running;
    let again = fixture.run_to_done(&mut task, 1).await;
    assert_eq!(again, "created web-v000");
    assert_eq!(
        fixture.api.requests(Method::POST),
        [REPLICA_SETS],
        "one create, however often the step ran"
    );
    assert_eq!(
        fixture.api.get(REPLICA_SETS, "web-v000"),
        Some(stored),
        "the ReplicaSet is as the first run left it"
    );
}

#[tokio::test]
async fn a_replica_set_someone_else_made_is_not_overwritten() {
    let fixture = Fixture::new().await;
    let mut task = create_server_group();
    fixture.run_to_done(&mut task, 0).await;
    // Between choosing the name and creating it, someone else creates web-v000.
    let theirs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-v000", "namespace": "web",
                     "annotations": {keys::TASK: "someone else"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}},
    });
    fixture.api.insert(REPLICA_SETS, theirs);
    let before = fixture.api.get(REPLICA_SETS, "web-v000");

    let refused = fixture
        .run(&task, 1)
        .await
        .expect_err("the step is refused");
    assert!(
        matches!(&refused, StepError::Refused(message)
            if message.contains("web-v000 already exists and was not made by this task")),
        "{refused}"
    );
    assert!(!refused.is_retryable());
    assert!(
        fixture.api.requests(Method::POST).is_empty(),
        "nothing was written"
    );
    assert_eq!(fixture.api.get(REPLICA_SETS, "web-v000"), before);
}

#[tokio::test]
async fn the_next_version_counts_what_the_cluster_has_now() {
    let fixture = Fixture::new().await;
    let mut first = create_server_group();
    fixture.run_to_done(&mut first, 0).await;
    fixture.run_to_done(&mut first, 1).await;
    // A second task right after: the live list, not the cache, names its version.
    let mut second = create_server_group();
    second.id = TaskId::derived(Timestamp::now(), "mocked second");
    fixture.run_to_done(&mut second, 0).await;
    assert_eq!(second.created_server_group(), Some("web-v001"));
}
