//! The task engine: runs operations as durable tasks. A submitted operation is checked and
//! planned into steps, stored, and run step by step; each step's start and end are stored
//! before the next begins. At start-up every task still running is resumed at its current
//! step. A cancel stops the task before its next step (a waiting step stops at once).

pub mod plan;
pub mod steps;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gennaker_app::error::AppError;
use gennaker_app::ids::TaskId;
use gennaker_app::tasks::model::{Operation, Status, Task, TaskOutputs};
use gennaker_app::time::Timestamp;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::events::{Change, EventBus};
use crate::kubernetes::Kubernetes;
use crate::registries::DockerRegistries;
use steps::{Executor, Progress};
use store::TaskStore;

fn now() -> Timestamp {
    Timestamp::now()
}

fn store_error(error: crate::store::StoreError) -> AppError {
    AppError::Unavailable(format!("the task could not be stored: {error}"))
}

pub struct TaskEngine {
    store: TaskStore,
    kubernetes: Arc<Kubernetes>,
    registries: Arc<DockerRegistries>,
    events: EventBus,
    running: Mutex<HashMap<TaskId, CancellationToken>>,
}

impl TaskEngine {
    pub fn new(
        store: TaskStore,
        kubernetes: Arc<Kubernetes>,
        registries: Arc<DockerRegistries>,
        events: EventBus,
    ) -> Arc<TaskEngine> {
        Arc::new(TaskEngine {
            store,
            kubernetes,
            registries,
            events,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// Resumes every task that was running when the server stopped.
    pub async fn resume(self: &Arc<Self>) {
        for task in self.store.list(None).await {
            if !task.status.is_finished() {
                tracing::info!(task.id = %task.id, "resuming task: {}", task.description);
                self.spawn(task.id);
            }
        }
    }

    /// Checks and plans `operation`, stores it as a task and starts it.
    pub async fn submit(
        self: &Arc<Self>,
        operation: Operation,
        who: &str,
    ) -> Result<Task, AppError> {
        // Checks read the cache; right after a start it may still be listing.
        self.kubernetes
            .wait_synced(std::time::Duration::from_secs(10))
            .await;
        let steps = plan::plan(&self.kubernetes, &self.registries, &operation)?;
        let task = Task {
            id: TaskId::new(),
            application: operation.application().to_string(),
            description: operation.description(),
            operation,
            steps,
            status: Status::Running,
            created_by: who.to_string(),
            created_at: now(),
            ended_at: None,
            cancel_requested: false,
            outputs: TaskOutputs::default(),
            error: None,
        };
        let task = self.store.insert(task).await.map_err(store_error)?;
        tracing::info!(task.id = %task.id, application = %task.application, "task submitted: {}", task.description);
        self.publish(&task);
        self.spawn(task.id);
        Ok(task)
    }

    pub async fn list(&self, application: Option<&str>) -> Vec<Task> {
        self.store.list(application).await
    }

    pub async fn get(&self, id: TaskId) -> Result<Task, AppError> {
        self.store
            .get(id)
            .await
            .ok_or_else(|| AppError::NotFound(format!("There is no task {id}.")))
    }

    /// Asks a task to stop. A finished task is refused.
    pub async fn cancel(&self, id: TaskId) -> Result<Task, AppError> {
        let task = self.get(id).await?;
        if task.status.is_finished() {
            return Err(AppError::Conflict(format!(
                "The task has already {}.",
                task.status.label().to_lowercase()
            )));
        }
        let task = self
            .store
            .update(id, |t| t.cancel_requested = true)
            .await
            .map_err(store_error)?;
        if let Ok(running) = self.running.lock()
            && let Some(token) = running.get(&id)
        {
            token.cancel();
        }
        self.publish(&task);
        Ok(task)
    }

    fn publish(&self, task: &Task) {
        self.events.publish(Change::Task {
            application: task.application.clone(),
            id: task.id,
        });
    }

    fn spawn(self: &Arc<Self>, id: TaskId) {
        let token = CancellationToken::new();
        if let Ok(mut running) = self.running.lock() {
            running.insert(id, token.clone());
        }
        let engine = self.clone();
        let span = tracing::info_span!("task", task.id = %id);
        tokio::spawn(
            async move {
                if let Err(error) = engine.run(id, &token).await {
                    tracing::error!("the task stopped: {error}");
                }
                if let Ok(mut running) = engine.running.lock() {
                    running.remove(&id);
                }
            }
            .instrument(span),
        );
    }

    async fn update(
        &self,
        id: TaskId,
        change: impl FnOnce(&mut Task),
    ) -> Result<Task, crate::store::StoreError> {
        let task = self.store.update(id, change).await?;
        self.publish(&task);
        Ok(task)
    }

    /// Runs the task's remaining steps. Returns only when the task is finished, or when the
    /// store fails (then the task stays running and resumes at the next start).
    async fn run(
        &self,
        id: TaskId,
        cancel: &CancellationToken,
    ) -> Result<(), crate::store::StoreError> {
        loop {
            let Some(task) = self.store.get(id).await else {
                return Ok(());
            };
            if task.status.is_finished() {
                return Ok(());
            }
            let Some(index) = task.current_step() else {
                self.update(id, |t| {
                    t.status = Status::Succeeded;
                    t.ended_at = Some(now());
                })
                .await?;
                tracing::info!("task succeeded");
                return Ok(());
            };
            if task.cancel_requested || cancel.is_cancelled() {
                self.update(id, |t| {
                    let ended = now();
                    for step in t.steps.iter_mut().filter(|s| !s.status.is_finished()) {
                        if step.status == Status::Running {
                            step.ended_at = Some(ended);
                        }
                        step.status = Status::Canceled;
                    }
                    t.status = Status::Canceled;
                    t.ended_at = Some(ended);
                })
                .await?;
                tracing::info!("task canceled");
                return Ok(());
            }
            let task = if task.steps[index].status == Status::NotStarted {
                self.update(id, |t| {
                    t.steps[index].status = Status::Running;
                    t.steps[index].started_at = Some(now());
                })
                .await?
            } else {
                tracing::info!(
                    step = index,
                    "re-running the step that was running when the server stopped"
                );
                task
            };
            let step = task.steps[index].clone();
            let progress = StoredProgress {
                engine: self,
                id,
                index,
            };
            let executor = Executor {
                kubernetes: &self.kubernetes,
                registries: &self.registries,
                events: &self.events,
                task: &task,
                progress: &progress,
            };
            let span = tracing::info_span!("step", index, label = %step.label);
            let result = tokio::select! {
                result = executor.run(&step.action).instrument(span) => Some(result),
                () = cancel.cancelled() => None,
            };
            match result {
                None => continue, // canceled: the top of the loop records it
                Some(Ok(finished)) => {
                    self.update(id, |t| {
                        let step = &mut t.steps[index];
                        step.status = Status::Succeeded;
                        step.ended_at = Some(now());
                        step.message = finished.message;
                        if let Some(server_group) = finished.outputs.and_then(|o| o.server_group) {
                            t.outputs.server_group = Some(server_group);
                        }
                    })
                    .await?;
                }
                Some(Err(failure)) => {
                    tracing::warn!(step = index, "step failed: {}", failure.0);
                    self.update(id, |t| {
                        let ended = now();
                        let step = &mut t.steps[index];
                        step.status = Status::Failed;
                        step.ended_at = Some(ended);
                        step.message = Some(failure.0.clone());
                        t.status = Status::Failed;
                        t.ended_at = Some(ended);
                        t.error = Some(format!("{}: {}", step.label, failure.0));
                    })
                    .await?;
                    return Ok(());
                }
            }
        }
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
}

/// The engine as the UI's server functions and the API reach it.
pub struct Tasks(pub Arc<TaskEngine>);

#[async_trait::async_trait]
impl gennaker_app::services::TaskService for Tasks {
    async fn submit(&self, operation: Operation, who: &str) -> Result<Task, AppError> {
        self.0.submit(operation, who).await
    }
    async fn list(&self, application: Option<&str>) -> Vec<Task> {
        self.0.list(application).await
    }
    async fn get(&self, id: TaskId) -> Result<Task, AppError> {
        self.0.get(id).await
    }
    async fn cancel(&self, id: TaskId) -> Result<Task, AppError> {
        self.0.cancel(id).await
    }
}
