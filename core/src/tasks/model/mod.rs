//! Durable tasks: an operation a user asked for, planned as a sequence of steps. The task and
//! every step's status are stored, so a restarted server resumes a running task at the step it
//! was on. Each step is a typed instruction ([`StepAction`]) that is safe to run again: a step
//! that changes the cluster first checks whether its change is already there.
//!
//! The pipeline engine builds on the same pieces: a stage will be a task's worth of steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ExecutionId, TaskId};
use crate::time::Timestamp;

mod action;
mod bake;
mod operation;
mod selectors;
mod targets;
mod traffic;

pub use action::*;
pub use bake::*;
pub use operation::*;
pub use selectors::*;
pub use targets::*;
pub use traffic::*;

/// Where a step or task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl Status {
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Canceled)
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "Not started",
            Status::Running => "Running",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            Status::NotStarted => "not-started",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }
}

/// Why a running step is not running at this moment. Stored, so a restarted server waits for
/// the same thing until the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Waiting {
    /// Runs again at `until` (the end of a Wait).
    Until { until: Timestamp },
    /// The last attempt failed with an error worth retrying; the next attempt is at `until`.
    Retry { until: Timestamp, error: String },
    /// Waits for a person's input (a Manual Judgment's decision).
    Input,
}

impl Waiting {
    /// When the step runs again by itself, if it does.
    pub fn until(&self) -> Option<Timestamp> {
        match self {
            Waiting::Until { until } | Waiting::Retry { until, .. } => Some(*until),
            Waiting::Input => None,
        }
    }
}

/// How many attempts a step that calls a cluster gets when it fails with an error worth
/// retrying (a stale resourceVersion, an unreachable or throttling API server).
pub const CLUSTER_ATTEMPTS: u32 = 6;

/// A step of a task, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the user sees: "Wait for 2/2 Pods to be Ready".
    pub label: String,
    pub action: StepAction,
    pub status: Status,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Progress while it runs ("1 of 2 Ready"), or why it failed.
    pub message: Option<String>,
    /// How long the step may take, when it must not take the runner's default for waiting
    /// steps (a Manual Judgment's own timeout, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// When the step gives up: fixed when it starts, so a restart does not extend it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// What the running step waits for, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Attempts that failed with an error worth retrying, so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    /// The most attempts the step gets: a failure worth retrying is retried, with a growing
    /// pause, until this many have failed.
    #[serde(default = "cluster_attempts")]
    pub max_attempts: u32,
    /// Outside input once given (a Manual Judgment's decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    /// Requests this step may have sent (a webhook call), each recorded before it leaves: a
    /// step that runs again after a restart knows a receiver may see the request twice.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sent: u32,
    /// What earlier runs of this step did, by the name of what they acted on: "Destroyed
    /// web-v000 (was serving 2 Pods)". Recorded before the change, so the step's last message
    /// can say it once the thing is gone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub did: BTreeMap<String, String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Steps stored before the limit was stated all call the cluster.
fn cluster_attempts() -> u32 {
    CLUSTER_ATTEMPTS
}

impl Step {
    /// A step that has not started, with the attempts its [policy](StepAction::policy) gives.
    pub fn new(label: impl Into<String>, action: StepAction) -> Step {
        let max_attempts = action.policy().retry.attempts;
        Step {
            label: label.into(),
            action,
            status: Status::NotStarted,
            started_at: None,
            ended_at: None,
            message: None,
            timeout_ms: None,
            deadline: None,
            waiting: None,
            failed_attempts: 0,
            max_attempts,
            input: None,
            sent: 0,
            did: BTreeMap::new(),
        }
    }

    /// The same step with its own timeout.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Step {
        self.timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }
}

/// Where a task comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Origin {
    /// An operation a user asked for, from a dialog or `POST /api/v1/tasks`.
    Operation { operation: Operation },
    /// The steps of one stage of a pipeline execution.
    Stage {
        execution: ExecutionId,
        stage_ref_id: String,
    },
}

/// Values steps hand to later steps and, for a stage's task, to later stages: a JSON object,
/// like a Spinnaker stage's `outputs`.
pub type Outputs = serde_json::Map<String, serde_json::Value>;

/// The output naming the server group a task created.
pub const SERVER_GROUP_OUTPUT: &str = "serverGroup";

/// The output naming the server group a stage picked and acted on (Spinnaker's name).
pub const PICKED_OUTPUT: &str = "serverGroupName";

/// A durable task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Sortable by creation time.
    pub id: TaskId,
    pub application: String,
    pub description: String,
    pub origin: Origin,
    pub steps: Vec<Step>,
    pub status: Status,
    pub created_by: String,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Someone asked to cancel; the task stops before its next step.
    pub cancel_requested: bool,
    /// What the steps produced, for later steps and stages (the chosen server group name).
    #[serde(default)]
    pub outputs: Outputs,
    /// Why the task failed: the failed step's message.
    pub error: Option<String>,
    /// When the whole task gives up (a pipeline stage's timeout); moved on by pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Set while the task is paused (its pipeline execution is): no step runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<Timestamp>,
}

/// A running task of application `web` for tests: `operation`'s, with `steps`, made by `test`
/// at `created_at` (its id derived from that time and `seed`).
#[cfg(any(test, feature = "fixtures"))]
pub fn fixture(operation: Operation, steps: Vec<Step>, created_at: Timestamp, seed: &str) -> Task {
    Task {
        id: TaskId::derived(created_at, seed),
        application: operation.application().to_string(),
        description: operation.description(),
        origin: Origin::Operation { operation },
        steps,
        status: Status::Running,
        created_by: "test".into(),
        created_at,
        ended_at: None,
        cancel_requested: false,
        outputs: Outputs::new(),
        error: None,
        deadline: None,
        paused_at: None,
    }
}

impl Task {
    /// The step running now, or the next to run.
    pub fn current_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.status.is_finished())
    }

    /// The server group an earlier step of this task created.
    pub fn created_server_group(&self) -> Option<&str> {
        self.outputs
            .get(SERVER_GROUP_OUTPUT)
            .and_then(serde_json::Value::as_str)
    }

    /// The server group an earlier step of this task picked.
    pub fn picked_server_group(&self) -> Option<&str> {
        self.outputs
            .get(PICKED_OUTPUT)
            .and_then(serde_json::Value::as_str)
    }
}
