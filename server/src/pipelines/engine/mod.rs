//! The pipeline engine: executions as stored records, moved on by [`rules`] after every change
//! (a stage's task progressed, someone canceled, paused, judged, restarted). Each stage runs
//! as one task on the one task runner; the engine never runs a step itself.
//!
//! Nothing an execution has done is lost or done twice when the server is killed: every
//! decision is stored before the next is taken, a stage's task id is derived from the
//! execution, the stage and its attempt (so starting it again finds the task rather than
//! making a second), a child pipeline's execution id likewise, and a judgment is stored in the
//! execution before it is handed to the waiting step (and handed again after a restart).
//!
//! Changes to one execution are made one at a time (a lock per execution); different
//! executions move on in parallel.

mod advance;
mod commands;
mod start;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use gennaker_core::expressions;
use gennaker_core::ids::{ExecutionId, TaskId};
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, StageExecution};
use gennaker_core::pipelines::requests::ExecutionFilter;
use gennaker_core::tasks::model::{Origin, Task};
use gennaker_core::time::Timestamp;
use serde_json::Value;
use tracing::Instrument;

use super::error::Error;
use super::stages;
use super::store::ExecutionStore;
use crate::events::{Change, EventBus};
use crate::kubernetes::Kubernetes;
use crate::registries::DockerRegistries;
use crate::tasks::TaskEngine;
use crate::tasks::steps::ChildPipelines;

pub use start::{MAX_CHAIN_DEPTH, resolve_parameters};

/// How long finished executions are kept, and how many per pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub age: Duration,
    pub per_pipeline: usize,
}

pub struct PipelineEngine {
    configs: Arc<super::configs::Configs>,
    executions: ExecutionStore,
    tasks: Arc<TaskEngine>,
    kubernetes: Arc<Kubernetes>,
    registries: Arc<DockerRegistries>,
    events: EventBus,
    retention: Retention,
    /// One lock per execution: its changes are made one at a time.
    locks: Mutex<HashMap<ExecutionId, Arc<tokio::sync::Mutex<()>>>>,
    /// Executions being moved on now, and whether something changed meanwhile.
    moving: Mutex<HashMap<ExecutionId, bool>>,
    /// Told of every execution saved (notifications; Pipeline triggers, of those that end).
    saved: Mutex<Vec<SaveObserver>>,
    me: Weak<PipelineEngine>,
}

/// Called with an execution as it has just been saved; it must not block.
pub type SaveObserver = Box<dyn Fn(&Execution) + Send + Sync>;

impl PipelineEngine {
    pub fn new(
        configs: Arc<super::configs::Configs>,
        executions: ExecutionStore,
        tasks: Arc<TaskEngine>,
        kubernetes: Arc<Kubernetes>,
        registries: Arc<DockerRegistries>,
        events: EventBus,
        retention: Retention,
    ) -> Arc<PipelineEngine> {
        let engine = Arc::new_cyclic(|me| PipelineEngine {
            configs,
            executions,
            tasks: tasks.clone(),
            kubernetes,
            registries,
            events,
            retention,
            locks: Mutex::new(HashMap::new()),
            moving: Mutex::new(HashMap::new()),
            saved: Mutex::new(Vec::new()),
            me: me.clone(),
        });
        let weak = Arc::downgrade(&engine);
        tasks.observe(Box::new(move |task: &Task| {
            if let Origin::Stage { execution, .. } = &task.origin
                && let Some(engine) = weak.upgrade()
            {
                engine.poke(*execution);
            }
        }));
        let children: Weak<dyn ChildPipelines> =
            Arc::downgrade(&engine) as Weak<dyn ChildPipelines>;
        tasks.run_children_with(children);
        engine
    }

    /// Moves on every execution that was running or waiting when the server stopped.
    pub async fn resume_all(&self) {
        for execution in self.executions.running().await {
            tracing::info!(execution.id = %execution.id, "resuming execution of {}", execution.name);
            self.poke(execution.id);
        }
    }

    /// Removes finished executions past the retention age, and all but the newest of each
    /// pipeline, now and then every hour.
    pub fn keep_tidy(self: &Arc<Self>) {
        let engine = self.clone();
        tokio::spawn(
            async move {
                loop {
                    let age = i64::try_from(engine.retention.age.as_millis()).unwrap_or(i64::MAX);
                    let cutoff = Timestamp::from_millis(Timestamp::now().as_millis() - age);
                    match engine
                        .executions
                        .sweep(cutoff, Some(engine.retention.per_pipeline))
                        .await
                    {
                        Ok(0) => {}
                        Ok(removed) => tracing::info!(removed, "removed {removed} old executions"),
                        Err(error) => tracing::warn!("removing old executions failed: {error}"),
                    }
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            }
            .instrument(tracing::info_span!("execution_retention")),
        );
    }

    fn lock(&self, id: ExecutionId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(id).or_default().clone()
    }

    fn forget_lock(&self, id: ExecutionId) {
        if let Ok(mut locks) = self.locks.lock() {
            locks.remove(&id);
        }
    }

    /// Asks for `id` to be moved on soon; repeated asks while it moves are merged into one more
    /// round.
    pub fn poke(&self, id: ExecutionId) {
        {
            let mut moving = self.moving.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(dirty) = moving.get_mut(&id) {
                *dirty = true;
                return;
            }
            moving.insert(id, false);
        }
        let Some(engine) = self.me.upgrade() else {
            return;
        };
        tokio::spawn(
            async move {
                loop {
                    if let Err(error) = engine.advance(id).await {
                        tracing::error!("moving the execution on failed: {error}");
                    }
                    let mut moving = engine.moving.lock().unwrap_or_else(|e| e.into_inner());
                    match moving.get_mut(&id) {
                        Some(dirty) if *dirty => *dirty = false,
                        _ => {
                            moving.remove(&id);
                            return;
                        }
                    }
                }
            }
            .instrument(tracing::info_span!("execution", execution.id = %id)),
        );
    }

    /// Tells open pages that `execution` changed (it, or something recorded beside it).
    pub fn publish(&self, execution: &Execution) {
        self.events.publish(Change::Execution {
            application: execution.application.clone(),
            id: execution.id,
        });
    }

    /// Stores `execution` as it is now (it may have finished, or run again after a restart).
    async fn save(&self, execution: &Execution, was_finished: bool) -> Result<(), Error> {
        if was_finished {
            self.executions.reopen(execution.clone()).await?;
        } else {
            self.executions.replace(execution.clone()).await?;
        }
        self.publish(execution);
        if execution.status.is_complete() {
            self.forget_lock(execution.id);
        }
        for observer in self.saved.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            observer(execution);
        }
        Ok(())
    }

    /// `observer` is called with every execution saved from now on, as it was saved.
    pub fn on_save(&self, observer: SaveObserver) {
        self.saved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// `observer` is called with every execution that ends from now on: each save of a
    /// finished one.
    pub fn on_end(&self, observer: SaveObserver) {
        self.on_save(Box::new(move |execution: &Execution| {
            if execution.status.is_complete() {
                observer(execution);
            }
        }));
    }

    /// Executions that ended since `since`, newest first (at most `limit`).
    pub async fn ended_since(&self, since: Timestamp, limit: usize) -> Vec<Execution> {
        let filter = ExecutionFilter {
            limit,
            ..ExecutionFilter::default()
        };
        self.list(&filter)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.status.is_complete() && e.end_time.is_some_and(|t| t >= since))
            .collect()
    }

    async fn load(&self, id: ExecutionId) -> Result<Execution, Error> {
        self.executions.get(id).await?.ok_or(Error::NoExecution(id))
    }

    /// The task id of the `n`th task of `stage` (0: its steps, 1: its rollback).
    fn task_id(execution: &Execution, stage: &StageExecution, n: usize) -> TaskId {
        TaskId::derived(
            execution.build_time,
            &format!("{}/{}/{}/{n}", execution.id, stage.ref_id, stage.attempt),
        )
    }

    /// The id of the execution a Pipeline stage starts.
    fn child_id(execution: &Execution, stage: &StageExecution) -> ExecutionId {
        ExecutionId::derived(
            execution.build_time,
            &format!("{}/{}/{}/child", execution.id, stage.ref_id, stage.attempt),
        )
    }

    pub async fn get(&self, id: ExecutionId) -> Result<Execution, Error> {
        self.load(id).await
    }

    /// Executions, newest first.
    pub async fn list(&self, filter: &ExecutionFilter) -> Result<Vec<Execution>, Error> {
        let group = match (&filter.application, &filter.pipeline) {
            (Some(app), Some(pipeline)) => Some(format!("{app}/{pipeline}")),
            (Some(app), None) => Some(app.clone()),
            (None, _) => None,
        };
        // Read enough to fill the limit after filtering by status and per pipeline.
        let read = if filter.statuses.is_empty() && !filter.per_pipeline {
            filter.limit
        } else {
            filter.limit.saturating_mul(20).max(500)
        };
        let mut found = self.executions.list(group.as_deref(), read).await?;
        found.retain(|e| {
            filter
                .pipeline
                .as_ref()
                .is_none_or(|p| &e.pipeline_config_id == p)
                && (filter.statuses.is_empty() || filter.statuses.contains(&e.status))
        });
        if filter.per_pipeline {
            let mut counts: HashMap<String, usize> = HashMap::new();
            found.retain(|e| {
                let count = counts.entry(e.pipeline_config_id.clone()).or_insert(0);
                *count += 1;
                *count <= filter.limit
            });
        } else {
            found.truncate(filter.limit);
        }
        Ok(found)
    }

    /// Changes an unfinished execution under its lock; `change` may refuse.
    async fn change(
        &self,
        id: ExecutionId,
        change: impl FnOnce(&mut Execution) -> Result<(), Error>,
    ) -> Result<Execution, Error> {
        let lock = self.lock(id);
        let _guard = lock.lock().await;
        let mut execution = self.load(id).await?;
        let was_finished = execution.status.is_complete();
        change(&mut execution)?;
        self.save(&execution, was_finished).await?;
        Ok(execution)
    }

    fn running_tasks(execution: &Execution) -> Vec<TaskId> {
        execution
            .stages
            .iter()
            .filter(|s| s.status == ExecutionStatus::Running)
            .filter_map(|s| s.task_ids.last().copied())
            .collect()
    }

    /// Evaluates an expression against the execution, as a stage after all others would.
    pub async fn evaluate(&self, id: ExecutionId, expression: &str) -> Result<Value, Error> {
        let execution = self.load(id).await?;
        let probe = StageExecution {
            requisite_stage_ref_ids: execution.stages.iter().map(|s| s.ref_id.clone()).collect(),
            ..StageExecution::from_config(&Default::default(), "evaluate".into())
        };
        let root = stages::expression_root(&execution, &probe);
        expressions::evaluate(&super::configs::as_template(expression), &root)
            .map_err(Error::Expression)
    }
}
