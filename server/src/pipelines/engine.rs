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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use gennaker_app::error::{AppError, FieldError};
use gennaker_app::expressions;
use gennaker_app::ids::{ExecutionId, TaskId};
use gennaker_app::pipelines::execution::{
    Execution, ExecutionStatus, ExecutionTrigger, LastModified, ParentExecution, PausedDetails,
    StageExecution, TaskExecution, initial_context,
};
use gennaker_app::pipelines::model::PipelineConfig;
use gennaker_app::pipelines::requests::{ExecutionFilter, Judgment, StartRequest};
use gennaker_app::pipelines::validate;
use gennaker_app::pipelines::windows::WINDOW_STEP;
use gennaker_app::tasks::model::{Origin, Status, StepAction, Task, Waiting};
use gennaker_app::time::Timestamp;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::plan;
use super::rules::{self, Next};
use super::store::ExecutionStore;
use crate::events::{Change, EventBus};
use crate::kubernetes::Kubernetes;
use crate::registries::DockerRegistries;
use crate::tasks::steps::{ChildPipelines, DEPLOYED_OUTPUT};
use crate::tasks::{NewTask, TaskEngine, TaskError};

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

fn store_error(error: crate::store::StoreError) -> AppError {
    super::configs::from_store(error)
}

fn task_error(error: TaskError) -> AppError {
    error.into()
}

/// A stage's failure as Orca records it: `context.exception.details`.
fn exception(message: &str) -> Value {
    json!({"details": {"error": message, "errors": [message]}})
}

fn step_status(task: &Task, status: Status) -> ExecutionStatus {
    match status {
        Status::NotStarted => ExecutionStatus::NotStarted,
        Status::Running if task.paused_at.is_some() => ExecutionStatus::Paused,
        Status::Running => ExecutionStatus::Running,
        Status::Succeeded => ExecutionStatus::Succeeded,
        Status::Failed => ExecutionStatus::Terminal,
        Status::Canceled => ExecutionStatus::Canceled,
    }
}

/// A stage's `tasks[]`: the steps of its runner tasks, as Orca lists a stage's tasks.
fn tasks_view(tasks: &[Task]) -> Vec<TaskExecution> {
    let steps: Vec<_> = tasks
        .iter()
        .flat_map(|task| task.steps.iter().map(move |step| (task, step)))
        .collect();
    let last = steps.len().saturating_sub(1);
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (task, step))| TaskExecution {
            id: (i + 1).to_string(),
            name: step.label.clone(),
            status: step_status(task, step.status),
            start_time: step.started_at,
            end_time: step.ended_at,
            stage_start: i == 0,
            stage_end: i == last,
            message: step.message.clone(),
        })
        .collect()
}

/// The outputs a finished stage gives later stages: its task's, plus Spinnaker's
/// `deploy.server.groups` (`{namespace: [names]}`) for a deploy.
fn stage_outputs(task: &Task) -> Map<String, Value> {
    let mut outputs = task.outputs.clone();
    if let Some(deployed) = task.outputs.get(DEPLOYED_OUTPUT).and_then(Value::as_array) {
        let mut groups: Map<String, Value> = Map::new();
        for group in deployed {
            let namespace = group["namespace"].as_str().unwrap_or_default().to_string();
            let entry = groups.entry(namespace).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(group["name"].clone());
            }
        }
        outputs.insert("deploy.server.groups".into(), Value::Object(groups));
        if let Some(account) = deployed.first().and_then(|g| g.get("account")) {
            outputs.insert("deploy.account.name".into(), account.clone());
        }
    }
    outputs
}

/// Whether `after` differs from `before` in its stages' views of their tasks (`tasks[]`) and
/// in nothing else. Both are left as they were.
fn only_task_views_changed(before: &mut Execution, after: &mut Execution) -> bool {
    if before.stages.len() != after.stages.len() {
        return false;
    }
    let take = |execution: &mut Execution| -> Vec<_> {
        execution
            .stages
            .iter_mut()
            .map(|s| std::mem::take(&mut s.tasks))
            .collect()
    };
    let put_back = |execution: &mut Execution, views: Vec<_>| {
        for (stage, view) in execution.stages.iter_mut().zip(views) {
            stage.tasks = view;
        }
    };
    let (views_before, views_after) = (take(before), take(after));
    let rest_same = before == after;
    let views_differ = views_before != views_after;
    put_back(before, views_before);
    put_back(after, views_after);
    views_differ && rest_same
}

/// Whether a failed deploy task failed while its new server group was being made healthy
/// (the case Red/Black's rollback is for), rather than while cleaning up the others.
fn failed_before_healthy(task: &Task) -> bool {
    task.steps.iter().any(|s| {
        s.status == Status::Failed
            && matches!(
                s.action,
                StepAction::CreateReplicaSet { .. }
                    | StepAction::WaitForHealthy { .. }
                    | StepAction::SetReplicas { .. }
                    | StepAction::RunPipeline {
                        deployed: Some(_),
                        ..
                    }
                    | StepAction::DisableSourceShare { .. }
            )
    }) && task.created_server_group().is_some()
}

/// How many executions may start one another in a chain (a Pipeline stage's child is one
/// deeper than its parent, a Pipeline trigger's execution one deeper than the one that ended).
pub const MAX_CHAIN_DEPTH: usize = 16;

/// The execution whose ending started this one through a Pipeline trigger.
fn triggered_by(trigger: &ExecutionTrigger) -> Option<ExecutionId> {
    if trigger.kind != "pipeline" {
        return None;
    }
    trigger
        .extra
        .get("parentExecution")?
        .get("id")?
        .as_str()?
        .parse()
        .ok()
}

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
    async fn save(&self, execution: &Execution, was_finished: bool) -> Result<(), AppError> {
        if was_finished {
            self.executions
                .reopen(execution.clone())
                .await
                .map_err(store_error)?;
        } else {
            self.executions
                .replace(execution.clone())
                .await
                .map_err(store_error)?;
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

    async fn load(&self, id: ExecutionId) -> Result<Execution, AppError> {
        self.executions
            .get(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| AppError::NotFound(format!("There is no execution {id}.")))
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

    /// Applies the rules to the stored execution until nothing more can happen now.
    async fn advance(&self, id: ExecutionId) -> Result<(), AppError> {
        let lock = self.lock(id);
        let _guard = lock.lock().await;
        let mut execution = self.load(id).await?;
        if execution.status.is_complete() || execution.status == ExecutionStatus::NotStarted {
            return Ok(());
        }
        let mut before = execution.clone();
        self.sync_stages(&mut execution).await?;
        for _ in 0..=execution.stages.len() {
            match rules::next(&execution) {
                Next::Wait => break,
                Next::Start(refs) => {
                    for ref_id in refs {
                        self.start_stage(&mut execution, &ref_id).await;
                    }
                }
                Next::CancelRunning => {
                    self.cancel_running(&mut execution).await;
                    break;
                }
                Next::Complete(status) => {
                    execution.status = status;
                    execution.end_time = Some(Timestamp::now());
                    tracing::info!(
                        status = status.as_str(),
                        "execution of {} ended",
                        execution.name
                    );
                    break;
                }
            }
        }
        if only_task_views_changed(&mut before, &mut execution) {
            // The tasks hold these durably; a restart's first advance shows them again. The
            // execution's status did not change, so it has not ended.
            self.publish(&execution);
            self.executions.refresh(execution).await;
            return Ok(());
        }
        if execution != before {
            self.save(&execution, false).await?;
        }
        if execution.status.is_complete() {
            self.release_waiting(&execution).await;
        }
        Ok(())
    }

    /// Brings each running stage up to date with its tasks: their steps as `tasks[]`, a
    /// judgment handed in again after a restart, a rollback after a failed deploy, and the
    /// stage's outcome once its task ended.
    async fn sync_stages(&self, execution: &mut Execution) -> Result<(), AppError> {
        let running: Vec<String> = execution
            .stages
            .iter()
            .filter(|s| s.status == ExecutionStatus::Running)
            .map(|s| s.ref_id.clone())
            .collect();
        for ref_id in running {
            let Some(stage) = execution.stage(&ref_id).cloned() else {
                continue;
            };
            let mut tasks = Vec::new();
            for task_id in &stage.task_ids {
                match self.tasks.get(*task_id).await {
                    Ok(task) => tasks.push(task),
                    Err(TaskError::NotFound(_)) => {}
                    Err(error) => return Err(task_error(error)),
                }
            }
            let Some(last) = tasks.last() else {
                // Stored as running, but its task never started (a crash in between): plan it
                // again; the derived id finds a task made before the crash.
                if let Some(stage) = execution.stage_mut(&ref_id) {
                    stage.status = ExecutionStatus::NotStarted;
                }
                continue;
            };
            let mut updated = stage.clone();
            updated.tasks = tasks_view(&tasks);
            if updated.kind == "manualJudgment" {
                self.hand_in_judgment(&updated, last).await;
            }
            self.hand_in_skip(&updated, &tasks[0]).await;
            if last.status.is_finished() {
                let main = &tasks[0];
                let deployed = main
                    .outputs
                    .get(DEPLOYED_OUTPUT)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let rollback = plan::rollback(&updated, &deployed);
                let wants_rollback = tasks.len() == 1
                    && main.status == Status::Failed
                    && failed_before_healthy(main)
                    && !rollback.is_empty();
                if wants_rollback {
                    let id = Self::task_id(execution, &updated, 1);
                    updated.context.insert(
                        "rollback".into(),
                        json!({"reason": main.error, "taskId": id.to_string()}),
                    );
                    let started = self
                        .tasks
                        .start(NewTask {
                            id: Some(id),
                            application: execution.application.clone(),
                            description: format!("{} › roll back {}", execution.name, updated.name),
                            origin: Origin::Stage {
                                execution: execution.id,
                                stage_ref_id: updated.ref_id.clone(),
                            },
                            steps: rollback,
                            created_by: execution.trigger.user.clone(),
                            timeout: None,
                        })
                        .await;
                    match started {
                        Ok(_) => updated.task_ids.push(id),
                        Err(error) => {
                            self.finish_stage(&mut updated, main, Some(&error.to_string()))
                        }
                    }
                } else {
                    let rollback_note = (tasks.len() > 1).then(|| match last.status {
                        Status::Succeeded => "the previous server group was put back".to_string(),
                        _ => format!(
                            "the rollback failed too: {}",
                            last.error.clone().unwrap_or_default()
                        ),
                    });
                    self.finish_stage(&mut updated, main, rollback_note.as_deref());
                }
            }
            if let Some(stage) = execution.stage_mut(&ref_id) {
                *stage = updated;
            }
        }
        Ok(())
    }

    /// A judgment stored in the execution reaches the step that waits for it.
    async fn hand_in_judgment(&self, stage: &StageExecution, task: &Task) {
        let Some(status) = stage.context.get("judgmentStatus") else {
            return;
        };
        let waiting = task.current_step().is_some_and(|i| {
            task.steps[i].waiting == Some(Waiting::Input) && task.steps[i].input.is_none()
        });
        if waiting {
            let input = json!({
                "judgmentStatus": status,
                "judgmentInput": stage.context.get("judgmentInput"),
                "user": stage.context.get("lastModifiedBy"),
            });
            if let Err(error) = self.tasks.give_input(task.id, input).await {
                tracing::warn!("the judgment did not reach its task yet: {error}");
            }
        }
    }

    /// A person's input just stored in the stage (a judgment, a skipped window) reaches the
    /// step waiting for it, and the execution moves on. Should this fail, the next advance
    /// hands it in again.
    async fn hand_in(&self, execution: &Execution, stage_key: &str) {
        if let Ok(stage) = find_stage(execution, stage_key)
            && let Some(task) = stage.task_ids.first()
            && let Ok(task) = self.tasks.get(*task).await
        {
            if stage.kind == "manualJudgment" {
                self.hand_in_judgment(stage, &task).await;
            }
            self.hand_in_skip(stage, &task).await;
        }
        self.poke(execution.id);
    }

    /// A "skip remaining window" stored in the execution reaches the window's step.
    async fn hand_in_skip(&self, stage: &StageExecution, task: &Task) {
        if stage.context.get("skipRemainingWait") != Some(&Value::Bool(true)) {
            return;
        }
        let waiting = task.current_step().is_some_and(|i| {
            matches!(task.steps[i].action, StepAction::ExecutionWindow { .. })
                && task.steps[i].input.is_none()
        });
        if waiting {
            let input =
                json!({"skipRemainingWait": true, "user": stage.context.get("lastModifiedBy")});
            if let Err(error) = self.tasks.give_input(task.id, input).await {
                tracing::warn!("the skip did not reach its task yet: {error}");
            }
        }
    }

    /// The stage's outcome once its work (and any rollback) ended.
    fn finish_stage(&self, stage: &mut StageExecution, main: &Task, note: Option<&str>) {
        stage.status = rules::stage_status(rules::failure_choice(stage), main.status);
        stage.end_time = Some(main.ended_at.unwrap_or_else(Timestamp::now));
        if let Some(error) = &main.error {
            let message = match note {
                Some(note) => format!("{error} ({note})"),
                None => error.clone(),
            };
            stage
                .context
                .insert("exception".into(), exception(&message));
        }
        stage.outputs.extend(stage_outputs(main));
    }

    /// Starts one stage: skipped when its condition is false, failed when it cannot be
    /// planned, otherwise running as a task.
    async fn start_stage(&self, execution: &mut Execution, ref_id: &str) {
        let Some(mut stage) = execution.stage(ref_id).cloned() else {
            return;
        };
        let now = Timestamp::now();
        stage.start_time = Some(now);
        let config = execution
            .pipeline_config
            .stage(ref_id)
            .cloned()
            .unwrap_or_default();
        match plan::enabled(execution, &stage, &config) {
            Ok(true) => {}
            Ok(false) | Err(_) => {
                stage.status = ExecutionStatus::Skipped;
                stage.end_time = Some(now);
                if let Err(reason) = plan::enabled(execution, &stage, &config) {
                    stage.context.insert("skipReason".into(), json!(reason));
                }
                if let Some(s) = execution.stage_mut(ref_id) {
                    *s = stage;
                }
                return;
            }
        }
        let child = Self::child_id(execution, &stage);
        let planned = plan::plan(
            execution,
            &stage,
            child,
            &self.kubernetes,
            &self.registries,
            self.tasks.jenkins(),
        );
        let planned = match planned {
            Ok(planned) => planned,
            Err(message) => {
                let message = format!("{} could not start: {message}", stage.name);
                self.fail_unstarted(&mut stage, &message, now);
                if let Some(s) = execution.stage_mut(ref_id) {
                    *s = stage;
                }
                return;
            }
        };
        stage.context = planned.context;
        let id = Self::task_id(execution, &stage, 0);
        let started = self
            .tasks
            .start(NewTask {
                id: Some(id),
                application: execution.application.clone(),
                description: format!("{} › {}", execution.name, stage.name),
                origin: Origin::Stage {
                    execution: execution.id,
                    stage_ref_id: stage.ref_id.clone(),
                },
                steps: planned.steps,
                created_by: execution.trigger.user.clone(),
                timeout: plan::stage_timeout(&stage.context),
            })
            .await;
        match started {
            Ok(task) => {
                stage.status = ExecutionStatus::Running;
                // A task made before a crash (found by its derived id) started the stage then.
                if task.created_at < now {
                    stage.start_time = Some(task.created_at);
                }
                stage.task_ids = vec![task.id];
                stage.tasks = tasks_view(std::slice::from_ref(&task));
            }
            Err(error) => self.fail_unstarted(&mut stage, &error.to_string(), now),
        }
        if let Some(s) = execution.stage_mut(ref_id) {
            *s = stage;
        }
    }

    fn fail_unstarted(&self, stage: &mut StageExecution, message: &str, now: Timestamp) {
        stage.status = rules::stage_status(rules::failure_choice(stage), Status::Failed);
        stage.end_time = Some(now);
        stage.context.insert("exception".into(), exception(message));
    }

    /// Asks every running stage's task to stop; each stage ends CANCELED once it has. A
    /// Pipeline stage's child execution is canceled with it, as in Spinnaker.
    async fn cancel_running(&self, execution: &mut Execution) {
        let who = execution
            .canceled_by
            .clone()
            .unwrap_or_else(|| "gennaker".into());
        for stage in execution
            .stages
            .iter_mut()
            .filter(|s| s.status == ExecutionStatus::Running)
        {
            match stage.task_ids.last() {
                Some(task) => {
                    for child in self.children_to_cancel(*task).await {
                        let reason = format!(
                            "its parent execution {} stopped (stage {})",
                            execution.id, stage.name
                        );
                        match self.cancel(child, Some(reason), &who).await {
                            Ok(_) | Err(AppError::Conflict(_) | AppError::NotFound(_)) => {}
                            Err(error) => tracing::warn!(
                                "canceling child execution {child} of stage {} failed: {error}",
                                stage.name
                            ),
                        }
                    }
                    if let Err(error) = self.tasks.cancel(*task).await
                        && !matches!(error, TaskError::Finished(_))
                    {
                        tracing::warn!("canceling stage {} failed: {error}", stage.name);
                    }
                }
                None => {
                    stage.status = ExecutionStatus::Canceled;
                    stage.end_time = Some(Timestamp::now());
                }
            }
        }
    }

    /// The child executions a stage's task waits for, or has started, that still run and
    /// are not yet asked to stop: each advance of a canceled execution asks this again, and a
    /// child asked once is not asked twice.
    async fn children_to_cancel(&self, task: TaskId) -> Vec<ExecutionId> {
        let Ok(task) = self.tasks.get(task).await else {
            return Vec::new();
        };
        let waited_for = task.steps.iter().filter_map(|s| match &s.action {
            StepAction::RunPipeline {
                execution,
                wait: true,
                ..
            } if s.status != Status::NotStarted => Some(*execution),
            _ => None,
        });
        let mut children = Vec::new();
        for child in waited_for {
            let Ok(Some(execution)) = self.executions.get(child).await else {
                continue;
            };
            if !execution.canceled && !execution.status.is_complete() {
                children.push(child);
            }
        }
        children
    }

    /// The executions of the same pipeline that wait, oldest first.
    async fn waiting(&self, config_id: &str) -> Vec<Execution> {
        let mut waiting = self
            .executions
            .running_where(|e| {
                e.pipeline_config_id == config_id && e.status == ExecutionStatus::NotStarted
            })
            .await;
        waiting.sort_by_key(|e| e.id);
        waiting
    }

    async fn active(&self, config_id: &str) -> usize {
        self.executions
            .count_running(|e| {
                e.pipeline_config_id == config_id
                    && matches!(e.status, ExecutionStatus::Running | ExecutionStatus::Paused)
            })
            .await
    }

    /// When an execution ends, the waiting ones of its pipeline may start: with
    /// `keepWaitingPipelines` the oldest; without it the newest, and the others are canceled.
    async fn release_waiting(&self, ended: &Execution) {
        let config = &ended.pipeline_config;
        loop {
            let waiting = self.waiting(&ended.pipeline_config_id).await;
            if waiting.is_empty()
                || rules::should_queue(config, self.active(&ended.pipeline_config_id).await)
            {
                return;
            }
            let (chosen, canceled) = rules::release_waiting(&waiting, ended.keep_waiting_pipelines);
            for execution in canceled {
                let id = execution.id;
                let result = self
                    .executions
                    .update(id, |e| {
                        e.status = ExecutionStatus::Canceled;
                        e.canceled = true;
                        e.canceled_by = Some("gennaker".into());
                        e.cancellation_reason = Some(
                            "A newer execution of this pipeline was started (keepWaitingPipelines is off).".into(),
                        );
                        e.end_time = Some(Timestamp::now());
                    })
                    .await;
                match result {
                    Ok(e) => self.publish(&e),
                    Err(error) => {
                        tracing::warn!("canceling waiting execution {id} failed: {error}")
                    }
                }
            }
            let Some(chosen) = chosen else { return };
            let result = self
                .executions
                .update(chosen.id, |e| {
                    e.status = ExecutionStatus::Running;
                    e.start_time = Some(Timestamp::now());
                })
                .await;
            match result {
                Ok(e) => {
                    self.publish(&e);
                    self.poke(e.id);
                }
                Err(error) => {
                    tracing::warn!("starting waiting execution {} failed: {error}", chosen.id);
                    return;
                }
            }
        }
    }

    /// Starts an execution of `config`: refused, with every reason, when it cannot run.
    pub async fn start(
        &self,
        config: PipelineConfig,
        request: StartRequest,
        trigger: ExecutionTrigger,
        id: Option<ExecutionId>,
        parent: Option<ParentExecution>,
    ) -> Result<Execution, AppError> {
        if let Some(id) = id
            && let Some(existing) = self.executions.get(id).await.map_err(store_error)?
        {
            return Ok(existing);
        }
        if config.is_disabled() {
            return Err(AppError::Conflict(format!(
                "Pipeline {:?} is disabled; enable it to start it.",
                config.name
            )));
        }
        AppError::from_fields(validate::blockers(&config))?;
        let first_parent = parent
            .as_ref()
            .map(|p| p.id)
            .or_else(|| triggered_by(&trigger));
        self.check_depth(&config, first_parent).await?;
        let parameters = resolve_parameters(&config, request.parameters)?;
        let now = Timestamp::now();
        let id = id.unwrap_or_else(ExecutionId::new);
        let queued = rules::should_queue(&config, self.active(&config.id).await)
            || (config.limits_concurrency() && !self.waiting(&config.id).await.is_empty());
        let execution = Execution {
            kind: "PIPELINE".into(),
            id,
            application: config.application.clone(),
            name: config.name.clone(),
            pipeline_config_id: config.id.clone(),
            status: if queued {
                ExecutionStatus::NotStarted
            } else {
                ExecutionStatus::Running
            },
            build_time: now,
            start_time: (!queued).then_some(now),
            end_time: None,
            canceled: false,
            canceled_by: None,
            cancellation_reason: None,
            paused: None,
            limit_concurrent: config.limits_concurrency(),
            keep_waiting_pipelines: config.keeps_waiting(),
            max_concurrent_executions: config.max_concurrent_executions.unwrap_or(0),
            trigger: ExecutionTrigger {
                parameters,
                ..trigger
            },
            stages: config
                .stages
                .iter()
                .enumerate()
                .map(|(i, s)| StageExecution::from_config(s, format!("{}-{}", id, i + 1)))
                .collect(),
            origin: "api".into(),
            pipeline_config: Arc::new(config),
            parent_execution: parent,
        };
        let execution = self
            .executions
            .insert(execution)
            .await
            .map_err(store_error)?;
        tracing::info!(execution.id = %execution.id, queued, "started an execution of {}", execution.name);
        self.publish(&execution);
        self.poke(execution.id);
        Ok(execution)
    }

    pub async fn get(&self, id: ExecutionId) -> Result<Execution, AppError> {
        self.load(id).await
    }

    /// Refuses a start that would make the chain of executions starting one another (Pipeline
    /// stages and Pipeline triggers, from `parent` up) deeper than [`MAX_CHAIN_DEPTH`]: a loop
    /// that saving could not see (a trigger closing it, an expression naming the pipeline)
    /// ends there instead of starting executions without end. Walks the store iteratively and
    /// reads at most that many executions.
    async fn check_depth(
        &self,
        config: &PipelineConfig,
        parent: Option<ExecutionId>,
    ) -> Result<(), AppError> {
        let mut chain = vec![config.name.clone()];
        let mut next = parent;
        while let Some(id) = next {
            if chain.len() >= MAX_CHAIN_DEPTH {
                chain.reverse();
                return Err(AppError::Conflict(format!(
                    "Pipeline {:?} is not started: it would be more than {MAX_CHAIN_DEPTH} executions deep in a chain of pipelines starting one another (… {}). A Pipeline stage or Pipeline trigger closes a loop; change one of them.",
                    config.name,
                    chain[chain.len().saturating_sub(6)..].join(" → ")
                )));
            }
            let Ok(Some(execution)) = self.executions.get(id).await else {
                break; // removed by retention: the chain is known no further
            };
            chain.push(execution.name.clone());
            next = execution
                .parent_execution
                .as_ref()
                .map(|p| p.id)
                .or_else(|| triggered_by(&execution.trigger));
        }
        Ok(())
    }

    /// Executions, newest first.
    pub async fn list(&self, filter: &ExecutionFilter) -> Result<Vec<Execution>, AppError> {
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
        let mut found = self
            .executions
            .list(group.as_deref(), read)
            .await
            .map_err(store_error)?;
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
        change: impl FnOnce(&mut Execution) -> Result<(), AppError>,
    ) -> Result<Execution, AppError> {
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

    pub async fn cancel(
        &self,
        id: ExecutionId,
        reason: Option<String>,
        who: &str,
    ) -> Result<Execution, AppError> {
        let execution = self
            .change(id, |e| {
                if e.status.is_complete() {
                    return Err(AppError::Conflict(format!(
                        "The execution has already ended ({}).",
                        e.status.as_str()
                    )));
                }
                e.canceled = true;
                e.canceled_by = Some(who.to_string());
                e.cancellation_reason = reason.filter(|r| !r.trim().is_empty());
                if e.status == ExecutionStatus::NotStarted {
                    e.status = ExecutionStatus::Canceled;
                    e.end_time = Some(Timestamp::now());
                }
                Ok(())
            })
            .await?;
        tracing::info!(execution.id = %id, "execution canceled by {who}");
        self.poke(id);
        Ok(execution)
    }

    pub async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        let execution = self
            .change(id, |e| {
                if e.status != ExecutionStatus::Running {
                    return Err(AppError::Conflict(format!(
                        "Only a running execution can be paused (it is {}).",
                        e.status.as_str()
                    )));
                }
                e.status = ExecutionStatus::Paused;
                let paused_ms = e.paused.as_ref().map_or(0, |p| p.paused_ms);
                e.paused = Some(PausedDetails {
                    pause_time: Some(Timestamp::now()),
                    resume_time: None,
                    paused_by: Some(who.to_string()),
                    resumed_by: None,
                    paused_ms,
                });
                Ok(())
            })
            .await?;
        for task in Self::running_tasks(&execution) {
            if let Err(error) = self.tasks.pause(task).await {
                tracing::warn!("pausing task {task} failed: {error}");
            }
        }
        Ok(execution)
    }

    pub async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        let execution = self
            .change(id, |e| {
                if e.status != ExecutionStatus::Paused {
                    return Err(AppError::Conflict(format!(
                        "Only a paused execution can be resumed (it is {}).",
                        e.status.as_str()
                    )));
                }
                e.status = ExecutionStatus::Running;
                let now = Timestamp::now();
                if let Some(paused) = e.paused.as_mut() {
                    let since = paused.pause_time.unwrap_or(now);
                    paused.paused_ms += i64::try_from(now.since(since).as_millis()).unwrap_or(0);
                    paused.resume_time = Some(now);
                    paused.resumed_by = Some(who.to_string());
                }
                Ok(())
            })
            .await?;
        for task in Self::running_tasks(&execution) {
            if let Err(error) = self.tasks.resume(task).await {
                tracing::warn!("resuming task {task} failed: {error}");
            }
        }
        self.poke(id);
        Ok(execution)
    }

    /// Runs a finished stage again, with every stage downstream of it.
    pub async fn restart_stage(
        &self,
        id: ExecutionId,
        stage_key: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        let execution = self
            .change(id, |e| {
                let stage = find_stage(e, stage_key)?.clone();
                if !stage.status.is_complete() {
                    return Err(AppError::Conflict(format!(
                        "Stage {:?} is {}; only a finished stage can be restarted.",
                        stage.name,
                        stage.status.as_str()
                    )));
                }
                let reset = rules::downstream_of(e, &stage.ref_id);
                if let Some(running) = e
                    .stages
                    .iter()
                    .find(|s| reset.contains(&s.ref_id) && s.status == ExecutionStatus::Running)
                {
                    return Err(AppError::Conflict(format!(
                        "Stage {:?}, after {:?}, is still running; wait for it or cancel the execution.",
                        running.name, stage.name
                    )));
                }
                let now = Timestamp::now();
                for s in e.stages.iter_mut().filter(|s| reset.contains(&s.ref_id)) {
                    let config = e.pipeline_config.stage(&s.ref_id).cloned().unwrap_or_default();
                    s.status = ExecutionStatus::NotStarted;
                    s.start_time = None;
                    s.end_time = None;
                    s.context = initial_context(&config);
                    s.outputs = Map::new();
                    s.tasks = Vec::new();
                    s.task_ids = Vec::new();
                    s.last_modified = None;
                    s.attempt += 1;
                }
                if let Some(s) = e.stage_mut(&stage.ref_id) {
                    s.context.insert(
                        "restartDetails".into(),
                        json!({
                            "restartedBy": who,
                            "restartTime": now.as_millis(),
                            "previousException": stage.context.get("exception"),
                        }),
                    );
                }
                if e.status.is_complete() {
                    e.status = ExecutionStatus::Running;
                    e.end_time = None;
                    e.canceled = false;
                    e.canceled_by = None;
                    e.cancellation_reason = None;
                }
                Ok(())
            })
            .await?;
        tracing::info!(execution.id = %id, "stage {stage_key} restarted by {who}");
        self.poke(id);
        Ok(execution)
    }

    /// Records a Manual Judgment's decision, then hands it to the waiting step.
    pub async fn judge(
        &self,
        id: ExecutionId,
        stage_key: &str,
        judgment: Judgment,
        principal: &gennaker_app::auth::Principal,
    ) -> Result<Execution, AppError> {
        let who = principal.name.as_str();
        let decision = judgment.judgment_status.trim().to_ascii_lowercase();
        let execution = self
            .change(id, |e| {
                let stage = find_stage(e, stage_key)?.clone();
                if stage.kind != "manualJudgment" {
                    return Err(AppError::invalid(
                        "stage",
                        format!("Stage {:?} is not a Manual Judgment.", stage.name),
                    ));
                }
                if let Some(by) = stage.context.get("judgmentStatus").map(|_| {
                    stage
                        .context
                        .get("lastModifiedBy")
                        .and_then(Value::as_str)
                        .unwrap_or("someone")
                        .to_string()
                }) {
                    return Err(AppError::Conflict(format!(
                        "{by} has already decided on {:?}.",
                        stage.name
                    )));
                }
                if stage.status != ExecutionStatus::Running {
                    return Err(AppError::Conflict(format!(
                        "Stage {:?} is {}; it is not waiting for a judgment.",
                        stage.name,
                        stage.status.label().to_lowercase()
                    )));
                }
                if let Some(refusal) = principal.judgment_refusal(&stage.judgment_roles()) {
                    return Err(AppError::Forbidden(refusal));
                }
                if decision != "continue" && decision != "stop" {
                    return Err(AppError::invalid(
                        "judgmentStatus",
                        "The judgment is continue or stop.",
                    ));
                }
                let options = stage.judgment_options();
                let input = judgment.judgment_input.clone().filter(|i| !i.is_empty());
                let chose_well = match &input {
                    Some(chosen) => options.is_empty() || options.contains(chosen),
                    None => decision != "continue" || options.is_empty(),
                };
                if !chose_well {
                    return Err(AppError::invalid(
                        "judgmentInput",
                        format!("Choose one of: {}.", options.join(", ")),
                    ));
                }
                let now = Timestamp::now();
                if let Some(s) = e.stage_mut(&stage.ref_id) {
                    s.context.insert("judgmentStatus".into(), json!(decision));
                    if let Some(input) = &input {
                        s.context.insert("judgmentInput".into(), json!(input));
                    }
                    modified_by(s, who, now);
                }
                Ok(())
            })
            .await?;
        tracing::info!(execution.id = %id, "judgment {decision} on {stage_key} by {who}");
        self.hand_in(&execution, stage_key).await;
        Ok(execution)
    }

    /// Ends a stage's wait for its execution window now (Deck's "Skip remaining window").
    pub async fn skip_window(
        &self,
        id: ExecutionId,
        stage_key: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        let execution = self
            .change(id, |e| {
                let stage = find_stage(e, stage_key)?.clone();
                let waiting = stage.status == ExecutionStatus::Running
                    && stage.tasks.first().is_some_and(|t| {
                        t.name == WINDOW_STEP && t.status == ExecutionStatus::Running
                    });
                if !waiting {
                    return Err(AppError::Conflict(format!(
                        "Stage {:?} is not waiting for its execution window.",
                        stage.name
                    )));
                }
                if let Some(s) = e.stage_mut(&stage.ref_id) {
                    s.context.insert("skipRemainingWait".into(), json!(true));
                    modified_by(s, who, Timestamp::now());
                }
                Ok(())
            })
            .await?;
        tracing::info!(execution.id = %id, "{who} skipped the window of {stage_key}");
        self.hand_in(&execution, stage_key).await;
        Ok(execution)
    }

    /// Evaluates an expression against the execution, as a stage after all others would.
    pub async fn evaluate(&self, id: ExecutionId, expression: &str) -> Result<Value, AppError> {
        let execution = self.load(id).await?;
        let probe = StageExecution {
            requisite_stage_ref_ids: execution.stages.iter().map(|s| s.ref_id.clone()).collect(),
            ..StageExecution::from_config(&Default::default(), "evaluate".into())
        };
        let root = plan::expression_root(&execution, &probe);
        expressions::evaluate(&super::configs::as_template(expression), &root)
            .map_err(|e| AppError::invalid("expression", e.to_string()))
    }
}

/// A stage of `execution` by its id or refId.
/// Who last changed the stage by hand: Orca's `lastModified` and deprecated `lastModifiedBy`.
fn modified_by(stage: &mut StageExecution, who: &str, at: Timestamp) {
    stage.context.insert("lastModifiedBy".into(), json!(who));
    stage.last_modified = Some(LastModified {
        user: who.to_string(),
        last_modified_time: at,
    });
}

fn find_stage<'e>(execution: &'e Execution, key: &str) -> Result<&'e StageExecution, AppError> {
    execution
        .stages
        .iter()
        .find(|s| s.id == key || s.ref_id == key)
        .ok_or_else(|| AppError::NotFound(format!("The execution has no stage {key:?}.")))
}

/// The parameters an execution runs with: the given ones, defaults for the rest; a required
/// one missing or a value outside its options is refused (`parameters.<name>`).
pub fn resolve_parameters(
    config: &PipelineConfig,
    given: Map<String, Value>,
) -> Result<Map<String, Value>, AppError> {
    let mut parameters = given;
    let mut problems = Vec::new();
    for parameter in config.parameters() {
        let field = format!("parameters.{}", parameter.name);
        let value = match parameters.get(&parameter.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let value = if value.is_empty() {
            parameter.default.clone().unwrap_or_default()
        } else {
            value
        };
        if value.is_empty() && parameter.is_required() {
            problems.push(FieldError::new(
                &field,
                format!("{} is required.", parameter.title()),
            ));
            continue;
        }
        if let Some(choices) = parameter.choices()
            && !value.is_empty()
            && !choices.contains(&value.as_str())
        {
            problems.push(FieldError::new(
                &field,
                format!(
                    "{} must be one of {} (it is {value:?}).",
                    parameter.title(),
                    choices.join(", ")
                ),
            ));
            continue;
        }
        parameters.insert(parameter.name.clone(), Value::String(value));
    }
    AppError::from_fields(problems)?;
    Ok(parameters)
}

#[async_trait::async_trait]
impl ChildPipelines for PipelineEngine {
    async fn start_child(
        &self,
        child: ExecutionId,
        application: &str,
        pipeline: &str,
        parameters: &Map<String, Value>,
        parent: (ExecutionId, &str),
        user: &str,
    ) -> Result<(), String> {
        if self.executions.get(child).await.ok().flatten().is_some() {
            return Ok(());
        }
        // A parent canceled while this step was on its way starts nothing: its cancel has
        // already looked for children to stop.
        let parent_execution = self.executions.get(parent.0).await;
        if let Ok(Some(parent_execution)) = parent_execution
            && parent_execution.canceled
        {
            return Err(format!(
                "its execution {} was canceled, so the pipeline was not started",
                parent.0
            ));
        }
        let config = self
            .configs
            .find(application, pipeline)
            .await
            .map_err(|e| e.to_string())?
            .config;
        self.start(
            config,
            StartRequest {
                parameters: parameters.clone(),
            },
            ExecutionTrigger {
                kind: "pipeline".into(),
                user: user.to_string(),
                ..ExecutionTrigger::default()
            },
            Some(child),
            Some(ParentExecution {
                id: parent.0,
                stage_ref_id: parent.1.to_string(),
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
    }

    async fn child_status(&self, child: ExecutionId) -> Option<(ExecutionStatus, Option<String>)> {
        let execution = self.executions.get(child).await.ok().flatten()?;
        let reason = execution
            .stages
            .iter()
            .find_map(StageExecution::failure)
            .or(execution.cancellation_reason.clone());
        Some((execution.status, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_task_views_alone_is_told_apart() {
        use crate::pipelines::rules::tests::diamond;
        use gennaker_app::pipelines::model::FailureChoice;
        let view = TaskExecution {
            id: "1".into(),
            name: "Wait".into(),
            status: ExecutionStatus::Running,
            start_time: Some(Timestamp::from_millis(1_795_699_233_000)),
            end_time: None,
            stage_start: true,
            stage_end: true,
            message: Some("waiting 1 s".into()),
        };
        let mut before = diamond(FailureChoice::HaltPipeline);
        let mut after = before.clone();
        assert!(
            !only_task_views_changed(&mut before, &mut after),
            "nothing changed"
        );
        after.stages[1].tasks = vec![view.clone()];
        assert!(only_task_views_changed(&mut before, &mut after));
        assert_eq!(after.stages[1].tasks, vec![view], "left as it was");
        after.stages[1].status = ExecutionStatus::Succeeded;
        assert!(
            !only_task_views_changed(&mut before, &mut after),
            "a status too"
        );
        let mut ended = before.clone();
        ended.status = ExecutionStatus::Succeeded;
        assert!(!only_task_views_changed(&mut before, &mut ended));
    }

    #[test]
    fn parameters_take_defaults_and_respect_options() {
        let config: PipelineConfig = serde_json::from_value(json!({
            "application": "web", "name": "p", "stages": [],
            "parameterConfig": [
                {"name": "env", "required": true, "hasOptions": true,
                 "options": [{"value": "staging"}, {"value": "prod"}]},
                {"name": "tag", "default": "latest"}
            ]
        }))
        .unwrap();
        let ok = resolve_parameters(
            &config,
            serde_json::from_value(json!({"env": "prod"})).unwrap(),
        )
        .unwrap();
        assert_eq!(Value::Object(ok), json!({"env": "prod", "tag": "latest"}));
        let missing = resolve_parameters(&config, Map::new()).unwrap_err();
        assert_eq!(
            missing.field_message("parameters.env").as_deref(),
            Some("env is required.")
        );
        let wrong = resolve_parameters(
            &config,
            serde_json::from_value(json!({"env": "dev"})).unwrap(),
        )
        .unwrap_err();
        assert!(
            wrong
                .field_message("parameters.env")
                .is_some_and(|m| m.contains("staging, prod"))
        );
    }
}
