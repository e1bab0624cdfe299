//! The one durable runner. Everything that changes a cluster runs on it as a task: an
//! operation a user asked for, and (with the pipeline engine) each pipeline stage. A task is a
//! list of steps; the runner runs the current step, stores how it ended, and decides what
//! comes next from the stored task alone ([`transition`]), so a server killed at any moment
//! resumes every task where it was: a Wait keeps its end time, a waiting step its deadline,
//! a retry its schedule.
//!
//! A step run once reports an [`Outcome`]: done (with outputs for later steps and stages),
//! not yet (run again on the next change in the cluster), wait until a stored time, or wait
//! for outside input (a Manual Judgment). A failure says whether trying again can help; one
//! that can is retried with a growing pause, up to the limit stated in the step.

pub mod builders;
pub mod outcome;
pub mod plan;
pub mod steps;
pub mod store;
pub mod transition;
pub mod windows;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gennaker_app::error::AppError;
use gennaker_core::ids::TaskId;
use gennaker_core::tasks::model::{Operation, Origin, Outputs, Status, Step, Task};
use gennaker_core::time::Timestamp;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::TasksConfig;
use crate::events::{Change, EventBus};
use crate::jenkins::JenkinsMasters;
use crate::kubernetes::Kubernetes;
use crate::registries::DockerRegistries;
use crate::store::StoreError;
pub use outcome::{Outcome, StepError};
use steps::{Executor, Progress};
use store::TaskStore;
use transition::{Decision, Rules};

/// How often a waiting step looks again when the cluster reports no change.
const POLL: Duration = Duration::from_secs(1);
/// How often finished tasks past the retention age are removed.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Why the runner refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("There is no task {0}.")]
    NotFound(TaskId),
    #[error("The task has already {0}.")]
    Finished(&'static str),
    #[error("Task {0} is not waiting for input.")]
    NotWaitingForInput(TaskId),
    #[error("the task could not be stored: {0}")]
    Store(#[from] StoreError),
}

impl From<TaskError> for AppError {
    fn from(error: TaskError) -> AppError {
        let message = error.to_string();
        match error {
            TaskError::NotFound(_) => AppError::NotFound(message),
            TaskError::Finished(_) | TaskError::NotWaitingForInput(_) => {
                AppError::Conflict(message)
            }
            TaskError::Store(_) => AppError::Unavailable(message),
        }
    }
}

/// A task to start: where it comes from and its steps.
pub struct NewTask {
    /// Chosen by the caller when it must find the task again after a crash (a pipeline stage
    /// records its task's id before starting it); a task with this id already stored is
    /// returned as it is.
    pub id: Option<TaskId>,
    pub application: String,
    pub description: String,
    pub origin: Origin,
    pub steps: Vec<Step>,
    pub created_by: String,
    /// How long the whole task may take (a stage's timeout); its deadline is fixed from the
    /// moment the task is made.
    pub timeout: Option<Duration>,
}

/// What lets a running task's driver stop early: a cancel, or a wake-up (input for a parked
/// step, a resume).
#[derive(Clone)]
struct Signals {
    cancel: CancellationToken,
    wake: Arc<Notify>,
}

/// Called with every stored change of a task (the pipeline engine follows its stages' tasks).
pub type Observer = Box<dyn Fn(&Task) + Send + Sync>;

pub struct TaskEngine {
    store: TaskStore,
    kubernetes: Arc<Kubernetes>,
    registries: Arc<DockerRegistries>,
    jenkins: Arc<JenkinsMasters>,
    artifacts: Arc<crate::artifacts::ArtifactReader>,
    events: EventBus,
    rules: Rules,
    retention: Duration,
    running: Mutex<HashMap<TaskId, Signals>>,
    observer: std::sync::OnceLock<Observer>,
    /// Runs child pipelines for Pipeline stages; set once the pipeline engine exists.
    children: std::sync::OnceLock<std::sync::Weak<dyn steps::ChildPipelines>>,
    http: reqwest::Client,
}

impl TaskEngine {
    /// The Jenkins masters steps start builds on.
    pub fn jenkins(&self) -> &JenkinsMasters {
        &self.jenkins
    }

    pub fn new(
        store: TaskStore,
        kubernetes: Arc<Kubernetes>,
        registries: Arc<DockerRegistries>,
        jenkins: Arc<JenkinsMasters>,
        artifacts: Arc<crate::artifacts::ArtifactReader>,
        events: EventBus,
        config: TasksConfig,
    ) -> Arc<TaskEngine> {
        Arc::new(TaskEngine {
            store,
            kubernetes,
            registries,
            jenkins,
            artifacts,
            events,
            rules: Rules {
                wait_timeout: config.wait_timeout,
            },
            retention: config.retention,
            running: Mutex::new(HashMap::new()),
            observer: std::sync::OnceLock::new(),
            children: std::sync::OnceLock::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        })
    }

    /// Sets who hears of every task change (once; later calls are ignored).
    pub fn observe(&self, observer: Observer) {
        let _ = self.observer.set(observer);
    }

    /// Sets what runs child pipelines (once).
    pub fn run_children_with(&self, children: std::sync::Weak<dyn steps::ChildPipelines>) {
        let _ = self.children.set(children);
    }

    /// Goes on with every task that was running when the server stopped.
    pub async fn resume_all(self: &Arc<Self>) {
        for task in self.store.running().await {
            tracing::info!(task.id = %task.id, "resuming task: {}", task.description);
            self.spawn(task.id);
        }
    }

    /// Removes finished tasks past the retention age now, then every hour, in the background.
    pub fn keep_tidy(self: &Arc<Self>) {
        let engine = self.clone();
        tokio::spawn(
            async move {
                loop {
                    let cutoff = Timestamp::from_millis(
                        Timestamp::now().as_millis()
                            - i64::try_from(engine.retention.as_millis()).unwrap_or(i64::MAX),
                    );
                    match engine.store.sweep(cutoff, None).await {
                        Ok(0) => {}
                        Ok(removed) => tracing::info!(
                            removed,
                            "removed {removed} finished tasks that ended before {cutoff}"
                        ),
                        Err(error) => tracing::warn!("removing old tasks failed: {error}"),
                    }
                    tokio::time::sleep(SWEEP_EVERY).await;
                }
            }
            .instrument(tracing::info_span!("task_retention")),
        );
    }

    /// Checks and plans `operation`, stores it as a task and starts it.
    pub async fn submit(
        self: &Arc<Self>,
        operation: Operation,
        who: &str,
    ) -> Result<Task, AppError> {
        // Checks read the cache; right after a start it may still be listing.
        self.kubernetes.wait_synced(Duration::from_secs(10)).await;
        let steps = plan::plan(&self.kubernetes, &self.registries, &operation)?;
        let task = self
            .start(NewTask {
                id: None,
                application: operation.application().to_string(),
                description: operation.description(),
                origin: Origin::Operation { operation },
                steps,
                created_by: who.to_string(),
                timeout: None,
            })
            .await?;
        Ok(task)
    }

    /// Stores a new task and starts running it.
    pub async fn start(self: &Arc<Self>, new: NewTask) -> Result<Task, TaskError> {
        if let Some(id) = new.id
            && let Some(task) = self.store.get(id).await?
        {
            return Ok(task);
        }
        let now = Timestamp::now();
        let mut task = Task {
            id: new.id.unwrap_or_else(TaskId::new),
            application: new.application,
            description: new.description,
            origin: new.origin,
            steps: new.steps,
            status: Status::Running,
            created_by: new.created_by,
            created_at: now,
            ended_at: None,
            cancel_requested: false,
            outputs: Outputs::new(),
            error: None,
            deadline: new.timeout.map(|timeout| now.plus(timeout)),
            paused_at: None,
        };
        // The first step starts as the task is stored: its deadline is fixed in the same write.
        if !task.steps.is_empty() {
            transition::start(&mut task, 0, now, self.rules);
        }
        let task = self.store.insert(task).await?;
        tracing::info!(task.id = %task.id, application = %task.application, "task started: {}", task.description);
        self.publish(&task);
        self.spawn(task.id);
        Ok(task)
    }

    /// The newest `limit` tasks, of one application or of all.
    pub async fn list(
        &self,
        application: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Task>, TaskError> {
        Ok(self.store.list(application, limit).await?)
    }

    pub async fn get(&self, id: TaskId) -> Result<Task, TaskError> {
        self.store.get(id).await?.ok_or(TaskError::NotFound(id))
    }

    /// Asks a task to stop: a waiting step stops at once, a running one before the next.
    pub async fn cancel(&self, id: TaskId) -> Result<Task, TaskError> {
        let task = self.get(id).await?;
        if task.status.is_finished() {
            return Err(TaskError::Finished(finished_verb(task.status)));
        }
        let task = self.update(id, |t| t.cancel_requested = true).await?;
        if let Some(signals) = self.signals(id) {
            signals.cancel.cancel();
        }
        Ok(task)
    }

    /// Gives the step that waits for input (a Manual Judgment) its input, and wakes it.
    pub async fn give_input(
        &self,
        id: TaskId,
        input: serde_json::Value,
    ) -> Result<Task, TaskError> {
        let task = self.get(id).await?;
        if task.status.is_finished() {
            return Err(TaskError::Finished(finished_verb(task.status)));
        }
        let index = task
            .current_step()
            .filter(|&i| {
                let step = &task.steps[i];
                step.status == Status::Running && step.action.policy().input
            })
            .ok_or(TaskError::NotWaitingForInput(id))?;
        let task = self
            .update(id, |t| t.steps[index].input = Some(input))
            .await?;
        if let Some(signals) = self.signals(id) {
            signals.wake.notify_one();
        }
        Ok(task)
    }

    /// Pauses a task: its current step stops where it is (a wait keeps waiting, but nothing
    /// runs) until [`TaskEngine::resume`]; paused time does not count toward its deadlines.
    pub async fn pause(&self, id: TaskId) -> Result<Task, TaskError> {
        self.hold(id, transition::pause).await
    }

    /// Lets a paused task go on.
    pub async fn resume(&self, id: TaskId) -> Result<Task, TaskError> {
        self.hold(id, transition::resume).await
    }

    /// Pauses or resumes an unfinished task, then wakes its runner to notice.
    async fn hold(&self, id: TaskId, change: fn(&mut Task, Timestamp)) -> Result<Task, TaskError> {
        let task = self.get(id).await?;
        if task.status.is_finished() {
            return Err(TaskError::Finished(finished_verb(task.status)));
        }
        let now = Timestamp::now();
        let task = self.update(id, |t| change(t, now)).await?;
        if let Some(signals) = self.signals(id) {
            signals.wake.notify_one();
        }
        Ok(task)
    }

    fn signals(&self, id: TaskId) -> Option<Signals> {
        self.running.lock().ok()?.get(&id).cloned()
    }

    fn publish(&self, task: &Task) {
        self.events.publish(Change::Task {
            application: task.application.clone(),
            id: task.id,
        });
        if let Some(observer) = self.observer.get() {
            observer(task);
        }
    }

    fn spawn(self: &Arc<Self>, id: TaskId) {
        let signals = Signals {
            cancel: CancellationToken::new(),
            wake: Arc::new(Notify::new()),
        };
        if let Ok(mut running) = self.running.lock() {
            running.insert(id, signals.clone());
        }
        let engine = self.clone();
        let span = tracing::info_span!("task", task.id = %id);
        tokio::spawn(
            async move {
                if let Err(error) = engine.drive(id, &signals).await {
                    // The task stays running in the store and resumes at the next start.
                    tracing::error!("the task stopped: {error}");
                }
                if let Ok(mut running) = engine.running.lock() {
                    running.remove(&id);
                }
            }
            .instrument(span),
        );
    }

    async fn update(&self, id: TaskId, change: impl FnOnce(&mut Task)) -> Result<Task, StoreError> {
        let task = self.store.update(id, change).await?;
        self.publish(&task);
        Ok(task)
    }

    /// Drives a task to its end: each decision's change is stored before the next decision.
    /// Returns when the task has ended, or when the store fails.
    async fn drive(&self, id: TaskId, signals: &Signals) -> Result<(), StoreError> {
        let mut changes = self.events.subscribe();
        let mut stored_message: Option<String> = None;
        loop {
            let Some(task) = self.store.get(id).await? else {
                return Ok(());
            };
            let now = Timestamp::now();
            match transition::decide(&task, now) {
                Decision::Finished => return Ok(()),
                Decision::Complete => {
                    self.update(id, |t| transition::complete(t, now)).await?;
                    tracing::info!("task succeeded");
                    return Ok(());
                }
                Decision::Cancel => {
                    self.update(id, |t| transition::cancel(t, now)).await?;
                    tracing::info!("task canceled");
                    return Ok(());
                }
                Decision::Start(index) => {
                    let rules = self.rules;
                    self.update(id, |t| transition::start(t, index, now, rules))
                        .await?;
                }
                Decision::SetDeadline(index) => {
                    let rules = self.rules;
                    self.update(id, |t| transition::set_deadline(t, index, now, rules))
                        .await?;
                }
                Decision::TimeOut(index) => {
                    let task = self
                        .update(id, |t| transition::time_out(t, index, now))
                        .await?;
                    tracing::warn!(step = index, "step timed out: {:?}", task.error);
                }
                Decision::Sleep { until, .. } => {
                    tokio::select! {
                        () = tokio::time::sleep(until.since(now)) => {}
                        () = signals.cancel.cancelled() => {}
                        () = signals.wake.notified() => {}
                    }
                }
                Decision::Park { deadline, .. } => {
                    let limit = deadline.map_or(Duration::MAX, |d| d.since(now));
                    tokio::select! {
                        () = signals.wake.notified() => {}
                        () = signals.cancel.cancelled() => {}
                        () = tokio::time::sleep(limit) => {}
                    }
                }
                Decision::Paused => {
                    tokio::select! {
                        () = signals.wake.notified() => {}
                        () = signals.cancel.cancelled() => {}
                    }
                }
                Decision::Run(index) => {
                    let step = &task.steps[index];
                    let progress = StoredProgress {
                        engine: self,
                        id,
                        index,
                    };
                    let children = self.children.get().and_then(std::sync::Weak::upgrade);
                    let executor = Executor {
                        kubernetes: &self.kubernetes,
                        registries: &self.registries,
                        jenkins: &self.jenkins,
                        artifacts: &self.artifacts,
                        task: &task,
                        step,
                        index,
                        progress: &progress,
                        http: &self.http,
                        children: children.as_deref(),
                    };
                    let span = tracing::info_span!("step", index, label = %step.label);
                    let result = tokio::select! {
                        result = executor.run(&step.action).instrument(span) => result,
                        () = signals.cancel.cancelled() => continue,
                    };
                    if let Err(error) = &result {
                        tracing::warn!(
                            step = index,
                            retryable = error.is_retryable(),
                            error = ?error,
                            "step failed: {error}"
                        );
                    }
                    match &result {
                        Ok(Outcome::Pending { message }) => {
                            if stored_message.as_ref() != Some(message) {
                                self.update(id, |t| {
                                    transition::record(t, index, &result, Timestamp::now())
                                })
                                .await?;
                                stored_message = Some(message.clone());
                            }
                            let limit = step
                                .deadline
                                .map_or(POLL, |d| d.since(Timestamp::now()).min(POLL));
                            tokio::select! {
                                () = next_cluster_change(&mut changes) => {}
                                () = tokio::time::sleep(limit) => {}
                                () = signals.cancel.cancelled() => {}
                                () = signals.wake.notified() => {}
                            }
                        }
                        _ => {
                            stored_message = None;
                            let task = self
                                .update(id, |t| {
                                    transition::record(t, index, &result, Timestamp::now())
                                })
                                .await?;
                            if task.status == Status::Succeeded {
                                tracing::info!("task succeeded");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Waits for the next change in a cluster (a task's own progress does not count).
async fn next_cluster_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) {
    loop {
        match changes.recv().await {
            Ok(Change::Cluster { .. })
            | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
    }
}

/// "succeeded", "failed", "been canceled": how a refusal names a finished task's end.
fn finished_verb(status: Status) -> &'static str {
    match status {
        Status::Succeeded => "succeeded",
        Status::Failed => "failed",
        Status::Canceled => "been canceled",
        Status::NotStarted | Status::Running => "ended",
    }
}

/// Stores a running step's progress message.
struct StoredProgress<'a> {
    engine: &'a TaskEngine,
    id: TaskId,
    index: usize,
}

#[async_trait::async_trait]
impl Progress for StoredProgress<'_> {
    async fn report(&self, message: String) {
        let index = self.index;
        if let Err(error) = self
            .engine
            .update(self.id, |t| t.steps[index].message = Some(message))
            .await
        {
            tracing::warn!("progress not stored: {error}");
        }
    }

    async fn sending(&self) -> Result<u32, StoreError> {
        let index = self.index;
        let task = self
            .engine
            .update(self.id, |t| t.steps[index].sent += 1)
            .await?;
        Ok(task.steps[index].sent.saturating_sub(1))
    }

    async fn did(&self, done: Vec<(String, String)>) -> Result<(), StoreError> {
        let index = self.index;
        self.engine
            .update(self.id, |t| t.steps[index].did.extend(done))
            .await
            .map(drop)
    }
}

/// The runner as the UI's server functions and the API reach it.
pub struct Tasks(pub Arc<TaskEngine>);

#[async_trait::async_trait]
impl gennaker_app::services::TaskService for Tasks {
    async fn submit(&self, operation: Operation, who: &str) -> Result<Task, AppError> {
        self.0.submit(operation, who).await
    }
    async fn list(&self, application: Option<&str>, limit: usize) -> Result<Vec<Task>, AppError> {
        Ok(self.0.list(application, limit).await?)
    }
    async fn get(&self, id: TaskId) -> Result<Task, AppError> {
        Ok(self.0.get(id).await?)
    }
    async fn cancel(&self, id: TaskId) -> Result<Task, AppError> {
        Ok(self.0.cancel(id).await?)
    }
}
