//! How an execution moves on: its running stages brought up to date with their tasks, the
//! rules applied until nothing more can happen now, stages started as tasks, a canceled
//! execution's stages stopped, and the next waiting execution of a pipeline let go.

use gennaker_core::ids::{ExecutionId, TaskId};
use gennaker_core::pipelines::execution::{
    Execution, ExecutionStatus, StageExecution, TaskExecution,
};
use gennaker_core::tasks::model::{Origin, Status, StepAction, Task, Waiting};
use gennaker_core::time::Timestamp;
use serde_json::{Map, Value, json};

use super::PipelineEngine;
use crate::pipelines::error::Error;
use crate::pipelines::rules::{self, Next, Refusal};
use crate::pipelines::stages;
use crate::tasks::steps::DEPLOYED_OUTPUT;
use crate::tasks::{NewTask, TaskError};

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

impl PipelineEngine {
    /// Applies the rules to the stored execution until nothing more can happen now.
    pub(super) async fn advance(&self, id: ExecutionId) -> Result<(), Error> {
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
    async fn sync_stages(&self, execution: &mut Execution) -> Result<(), Error> {
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
                    Err(error) => return Err(error.into()),
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
                let rollback = stages::rollback(&updated, &deployed);
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
    pub(super) async fn hand_in(&self, execution: &Execution, stage_key: &str) {
        if let Ok(stage) = rules::commands::find_stage(execution, stage_key)
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
        match stages::enabled(execution, &stage, &config) {
            Ok(true) => {}
            Ok(false) | Err(_) => {
                stage.status = ExecutionStatus::Skipped;
                stage.end_time = Some(now);
                if let Err(reason) = stages::enabled(execution, &stage, &config) {
                    stage
                        .context
                        .insert("skipReason".into(), json!(reason.to_string()));
                }
                if let Some(s) = execution.stage_mut(ref_id) {
                    *s = stage;
                }
                return;
            }
        }
        let child = Self::child_id(execution, &stage);
        let planned = stages::plan(
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
                timeout: stages::stage_timeout(&stage.context),
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
                            Ok(_)
                            | Err(Error::Refused(Refusal::State(_)) | Error::NoExecution(_)) => {}
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
    pub(super) async fn waiting(&self, config_id: &str) -> Vec<Execution> {
        let mut waiting = self
            .executions
            .running_where(|e| {
                e.pipeline_config_id == config_id && e.status == ExecutionStatus::NotStarted
            })
            .await;
        waiting.sort_by_key(|e| e.id);
        waiting
    }

    pub(super) async fn active(&self, config_id: &str) -> usize {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_task_views_alone_is_told_apart() {
        use crate::pipelines::rules::tests::diamond;
        use gennaker_core::pipelines::model::FailureChoice;
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
}
