//! Pipeline executions in Spinnaker's execution JSON (`type: PIPELINE`, `status`,
//! `startTime` in epoch milliseconds, `stages[]` with `context`, `outputs` and `tasks`), so
//! scripts written against Orca's API read them as they are. Statuses are Orca's.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::model::{PipelineConfig, Stage};
use crate::ids::{ExecutionId, TaskId};
use crate::time::{Timestamp, epoch_millis, epoch_millis_opt};

/// Orca's `ExecutionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    NotStarted,
    Running,
    Paused,
    Succeeded,
    FailedContinue,
    Terminal,
    Canceled,
    Stopped,
    Skipped,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 9] = [
        ExecutionStatus::NotStarted,
        ExecutionStatus::Running,
        ExecutionStatus::Paused,
        ExecutionStatus::Succeeded,
        ExecutionStatus::FailedContinue,
        ExecutionStatus::Terminal,
        ExecutionStatus::Canceled,
        ExecutionStatus::Stopped,
        ExecutionStatus::Skipped,
    ];

    /// Finished, one way or another.
    pub fn is_complete(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Succeeded
                | ExecutionStatus::FailedContinue
                | ExecutionStatus::Terminal
                | ExecutionStatus::Canceled
                | ExecutionStatus::Stopped
                | ExecutionStatus::Skipped
        )
    }

    /// Whether the stages that depend on a stage with this status may start.
    pub fn lets_downstream_run(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Succeeded | ExecutionStatus::FailedContinue | ExecutionStatus::Skipped
        )
    }

    /// Orca's name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::NotStarted => "NOT_STARTED",
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Paused => "PAUSED",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::FailedContinue => "FAILED_CONTINUE",
            ExecutionStatus::Terminal => "TERMINAL",
            ExecutionStatus::Canceled => "CANCELED",
            ExecutionStatus::Stopped => "STOPPED",
            ExecutionStatus::Skipped => "SKIPPED",
        }
    }

    pub fn parse(text: &str) -> Option<ExecutionStatus> {
        ExecutionStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            ExecutionStatus::NotStarted => "Not started",
            ExecutionStatus::Running => "Running",
            ExecutionStatus::Paused => "Paused",
            ExecutionStatus::Succeeded => "Succeeded",
            ExecutionStatus::FailedContinue => "Failed (continued)",
            ExecutionStatus::Terminal => "Terminal",
            ExecutionStatus::Canceled => "Canceled",
            ExecutionStatus::Stopped => "Stopped",
            ExecutionStatus::Skipped => "Skipped",
        }
    }

    /// The CSS class of its colour.
    pub fn class(self) -> &'static str {
        match self {
            ExecutionStatus::NotStarted => "not-started",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Paused => "paused",
            ExecutionStatus::Succeeded => "succeeded",
            ExecutionStatus::FailedContinue => "failed-continue",
            ExecutionStatus::Terminal => "failed",
            ExecutionStatus::Canceled => "canceled",
            ExecutionStatus::Stopped => "stopped",
            ExecutionStatus::Skipped => "skipped",
        }
    }
}

/// What started an execution: Spinnaker's `trigger`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionTrigger {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// When an execution was paused and resumed (Orca's `paused`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PausedDetails {
    #[serde(default, with = "epoch_millis_opt")]
    pub pause_time: Option<Timestamp>,
    #[serde(default, with = "epoch_millis_opt")]
    pub resume_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_by: Option<String>,
    /// All paused time so far, in milliseconds (it does not count toward stage timeouts).
    #[serde(default)]
    pub paused_ms: i64,
}

/// One of a stage's tasks, as Orca lists them (here: the steps of the stage's runner task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskExecution {
    pub id: String,
    pub name: String,
    pub status: ExecutionStatus,
    #[serde(default, with = "epoch_millis_opt")]
    pub start_time: Option<Timestamp>,
    #[serde(default, with = "epoch_millis_opt")]
    pub end_time: Option<Timestamp>,
    #[serde(default)]
    pub stage_start: bool,
    #[serde(default)]
    pub stage_end: bool,
    /// Progress or why it failed (Gennaker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Who last changed a stage from outside (a Manual Judgment's decision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastModified {
    pub user: String,
    #[serde(with = "epoch_millis")]
    pub last_modified_time: Timestamp,
}

/// A stage of an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageExecution {
    pub id: String,
    pub ref_id: String,
    #[serde(default)]
    pub requisite_stage_ref_ids: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub status: ExecutionStatus,
    #[serde(default, with = "epoch_millis_opt")]
    pub start_time: Option<Timestamp>,
    #[serde(default, with = "epoch_millis_opt")]
    pub end_time: Option<Timestamp>,
    /// The stage's settings (evaluated once it started) and what happened to it:
    /// `judgmentStatus`, `exception`, `restartDetails`, ...
    #[serde(default)]
    pub context: Map<String, Value>,
    /// What later stages may read with `#stage('name').outputs`.
    #[serde(default)]
    pub outputs: Map<String, Value>,
    #[serde(default)]
    pub tasks: Vec<TaskExecution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<LastModified>,
    /// The runner tasks doing this stage's work (its steps, then a rollback), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_ids: Vec<TaskId>,
    /// How many times the stage was reset by a restart: part of what names its tasks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl StageExecution {
    /// A stage of `config` that has not started.
    pub fn from_config(stage: &Stage, id: String) -> StageExecution {
        StageExecution {
            id,
            ref_id: stage.ref_id.clone(),
            requisite_stage_ref_ids: stage.requisite_stage_ref_ids.clone(),
            kind: stage.kind.clone(),
            name: stage.name.clone(),
            status: ExecutionStatus::NotStarted,
            start_time: None,
            end_time: None,
            context: initial_context(stage),
            outputs: Map::new(),
            tasks: Vec::new(),
            last_modified: None,
            task_ids: Vec::new(),
            attempt: 0,
        }
    }

    /// Why the stage failed, as the user should read it.
    pub fn failure(&self) -> Option<String> {
        self.context
            .get("exception")
            .and_then(|e| e.pointer("/details/error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// A text setting of the context (`instructions`, say), when it is not blank.
    pub fn context_text(&self, key: &str) -> Option<String> {
        self.context
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }

    /// A Manual Judgment's decision once made: whether it continued, and the chosen input.
    pub fn judgment_decision(&self) -> Option<(bool, Option<String>)> {
        let decision = self.context_text("judgmentStatus")?;
        Some((decision == "continue", self.context_text("judgmentInput")))
    }

    /// The options a Manual Judgment offers (`judgmentInputs[].value`).
    pub fn judgment_options(&self) -> Vec<String> {
        self.context
            .get("judgmentInputs")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("value").and_then(Value::as_str))
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The roles that may decide this Manual Judgment (Spinnaker's `requiredJudgmentRoles`,
    /// else `selectedStageRoles`, the editor's "Authorized roles"); empty: anyone who may run
    /// the pipeline.
    pub fn judgment_roles(&self) -> Vec<String> {
        ["requiredJudgmentRoles", "selectedStageRoles"]
            .iter()
            .map(|key| match self.context.get(*key) {
                // A single role written as text is that role, not "no roles" (anyone).
                Some(Value::String(text)) => text
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            })
            .find(|roles| !roles.is_empty())
            .unwrap_or_default()
    }

    /// How long it ran (or has been running, at `now`).
    pub fn duration(&self, now: Timestamp) -> Option<std::time::Duration> {
        self.start_time
            .map(|start| self.end_time.unwrap_or(now).since(start))
    }
}

/// A stage's context before it runs: its settings and the failure flags, as Orca keeps them.
pub fn initial_context(stage: &Stage) -> Map<String, Value> {
    let mut context = match serde_json::to_value(stage) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for key in ["refId", "requisiteStageRefIds", "type", "name"] {
        context.remove(key);
    }
    context
}

/// A pipeline execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// Always `PIPELINE`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: ExecutionId,
    pub application: String,
    pub name: String,
    pub pipeline_config_id: String,
    pub status: ExecutionStatus,
    #[serde(with = "epoch_millis")]
    pub build_time: Timestamp,
    #[serde(default, with = "epoch_millis_opt")]
    pub start_time: Option<Timestamp>,
    #[serde(default, with = "epoch_millis_opt")]
    pub end_time: Option<Timestamp>,
    #[serde(default)]
    pub canceled: bool,
    #[serde(default)]
    pub canceled_by: Option<String>,
    #[serde(default)]
    pub cancellation_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<PausedDetails>,
    #[serde(default)]
    pub limit_concurrent: bool,
    #[serde(default)]
    pub keep_waiting_pipelines: bool,
    #[serde(default)]
    pub max_concurrent_executions: i64,
    pub trigger: ExecutionTrigger,
    pub stages: Vec<StageExecution>,
    /// `api` or `deck` (the UI), as Orca records it.
    #[serde(default)]
    pub origin: String,
    /// The pipeline as it was when the execution started: a restarted stage is planned from it.
    /// Shared, never changed: copies of a running execution do not copy it.
    #[serde(with = "shared")]
    pub pipeline_config: Arc<PipelineConfig>,
    /// The execution (and stage) that started this one with a Pipeline stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_execution: Option<ParentExecution>,
}

/// The stage of another execution that runs this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentExecution {
    pub id: ExecutionId,
    pub stage_ref_id: String,
}

impl Execution {
    /// The stages in graph order (see [`graph::order`](super::graph::order)): a stage after
    /// those it waits for, whatever its place in the list.
    pub fn stages_in_order(&self) -> Vec<&StageExecution> {
        let nodes = super::graph::nodes(&self.stages, |s| {
            (s.ref_id.as_str(), s.requisite_stage_ref_ids.as_slice())
        });
        super::graph::order(&nodes)
            .into_iter()
            .map(|i| &self.stages[i])
            .collect()
    }

    /// The stage that decided how the execution went, to show first: the first (in graph
    /// order) still running; else the first that failed; else the first canceled or stopped;
    /// else the one that ended last; else the first.
    pub fn deciding_stage(&self) -> Option<&StageExecution> {
        let stages = self.stages_in_order();
        let first =
            |matches: &dyn Fn(&StageExecution) -> bool| stages.iter().copied().find(|s| matches(s));
        first(&|s| !s.status.is_complete() && s.start_time.is_some())
            .or_else(|| first(&|s| s.failure().is_some()))
            .or_else(|| {
                first(&|s| {
                    matches!(
                        s.status,
                        ExecutionStatus::Canceled | ExecutionStatus::Stopped
                    )
                })
            })
            .or_else(|| {
                stages
                    .iter()
                    .copied()
                    .filter(|s| s.end_time.is_some())
                    .max_by_key(|s| s.end_time)
            })
            .or_else(|| stages.first().copied())
    }

    pub fn stage(&self, ref_id: &str) -> Option<&StageExecution> {
        self.stages.iter().find(|s| s.ref_id == ref_id)
    }

    pub fn stage_mut(&mut self, ref_id: &str) -> Option<&mut StageExecution> {
        self.stages.iter_mut().find(|s| s.ref_id == ref_id)
    }

    /// The stage whose runner task is `task`.
    pub fn stage_of_task(&self, task: TaskId) -> Option<&StageExecution> {
        self.stages.iter().find(|s| s.task_ids.contains(&task))
    }

    /// The stage waiting for a Manual Judgment, if any (the newest one).
    pub fn waiting_judgment(&self) -> Option<&StageExecution> {
        self.stages.iter().rev().find(|s| {
            s.kind == "manualJudgment"
                && s.status == ExecutionStatus::Running
                && !s.context.contains_key("judgmentStatus")
        })
    }
}

/// An execution of `stages` for tests: pipeline "Deploy" (`p`) of application `web`, running,
/// made at a fixed time.
#[cfg(any(test, feature = "fixtures"))]
pub fn fixture(stages: Vec<StageExecution>) -> Execution {
    let made = Timestamp::from_millis(1_795_699_233_000);
    Execution {
        kind: "PIPELINE".into(),
        id: ExecutionId::derived(made, "fixture"),
        application: "web".into(),
        name: "Deploy".into(),
        pipeline_config_id: "p".into(),
        status: ExecutionStatus::Running,
        build_time: made,
        start_time: None,
        end_time: None,
        canceled: false,
        canceled_by: None,
        cancellation_reason: None,
        paused: None,
        limit_concurrent: false,
        keep_waiting_pipelines: false,
        max_concurrent_executions: 0,
        trigger: ExecutionTrigger::default(),
        stages,
        origin: "api".into(),
        pipeline_config: Arc::default(),
        parent_execution: None,
    }
}

/// A shared part of an execution in JSON: written and read as the value itself.
mod shared {
    use super::*;

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Arc<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        T::serialize(value, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Arc<T>, D::Error> {
        T::deserialize(deserializer).map(Arc::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_are_orcas_names() {
        assert_eq!(
            serde_json::to_value(ExecutionStatus::FailedContinue).unwrap(),
            json!("FAILED_CONTINUE")
        );
        assert_eq!(
            ExecutionStatus::parse("not_started"),
            Some(ExecutionStatus::NotStarted)
        );
        assert!(ExecutionStatus::Skipped.lets_downstream_run());
        assert!(!ExecutionStatus::Stopped.lets_downstream_run());
    }

    #[test]
    fn a_stage_context_is_its_settings_and_flags() {
        let stage: Stage = serde_json::from_value(json!({
            "refId": "2", "requisiteStageRefIds": ["1"], "type": "wait", "name": "Wait",
            "waitTime": 30, "failPipeline": false
        }))
        .unwrap();
        let s = StageExecution::from_config(&stage, "s2".into());
        assert_eq!(
            Value::Object(s.context),
            json!({"waitTime": 30, "failPipeline": false})
        );
        let json = serde_json::to_value(StageExecution {
            start_time: Some(Timestamp::from_millis(1_700_000_000_000)),
            ..StageExecution::from_config(&stage, "s2".into())
        })
        .unwrap();
        assert_eq!(json["startTime"], 1_700_000_000_000_i64);
        assert_eq!(json["endTime"], Value::Null);
        assert_eq!(json["status"], "NOT_STARTED");
    }
}
