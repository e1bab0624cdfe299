//! What the UI shows of a task: its steps' labels, statuses and messages, never their actions.
//! The server functions answer with these, so the browser bundle carries no step vocabulary
//! (`StepAction`, 45 kinds) it would only throw away; the JSON API keeps the whole [`Task`].

use serde::{Deserialize, Serialize};

use super::model::{Status, Step, Task};
use crate::ids::TaskId;
use crate::time::Timestamp;

/// A task as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub id: TaskId,
    pub application: String,
    pub description: String,
    pub steps: Vec<StepView>,
    pub status: Status,
    pub created_by: String,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Someone asked to cancel; the task stops before its next step.
    pub cancel_requested: bool,
    /// Why the task failed: the failed step's message.
    pub error: Option<String>,
}

/// A step as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// "Wait for 2/2 Pods to be Ready".
    pub label: String,
    pub status: Status,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Progress, or why it failed.
    pub message: Option<String>,
}

impl From<&Step> for StepView {
    fn from(step: &Step) -> StepView {
        StepView {
            label: step.label.clone(),
            status: step.status,
            started_at: step.started_at,
            ended_at: step.ended_at,
            message: step.message.clone(),
        }
    }
}

impl From<&Task> for TaskView {
    fn from(task: &Task) -> TaskView {
        TaskView {
            id: task.id,
            application: task.application.clone(),
            description: task.description.clone(),
            steps: task.steps.iter().map(StepView::from).collect(),
            status: task.status,
            created_by: task.created_by.clone(),
            created_at: task.created_at,
            ended_at: task.ended_at,
            cancel_requested: task.cancel_requested,
            error: task.error.clone(),
        }
    }
}

impl From<Task> for TaskView {
    fn from(task: Task) -> TaskView {
        TaskView::from(&task)
    }
}
