//! Kubernetes Jobs of an application: containers that run to completion, shown with their
//! outcome and their Pods.

use serde::{Deserialize, Serialize};

use super::server_groups::{Instance, ObjectRef};
use crate::time::Timestamp;

/// Where a Job stands, from its conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state", content = "reason")]
pub enum JobState {
    /// Pods are running or about to.
    Running,
    /// Enough Pods succeeded.
    Complete,
    /// The Job gave up; the reason is Kubernetes' message (backoff limit, deadline, …).
    Failed(String),
    /// `spec.suspend`: no Pods are started.
    Suspended,
}

impl JobState {
    pub fn label(&self) -> &'static str {
        match self {
            JobState::Running => "Running",
            JobState::Complete => "Complete",
            JobState::Failed(_) => "Failed",
            JobState::Suspended => "Suspended",
        }
    }
    /// The status badge class.
    pub fn class(&self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Complete => "succeeded",
            JobState::Failed(_) => "failed",
            JobState::Suspended => "canceled",
        }
    }
}

/// A Job as the cache sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub account: String,
    pub namespace: String,
    pub name: String,
    pub images: Vec<String>,
    pub state: JobState,
    /// Successful Pods the Job needs.
    pub completions: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub active: i32,
    /// `None` until a Pod of the Job has started.
    pub started_at: Option<Timestamp>,
    /// `None` until the Job is complete.
    pub completed_at: Option<Timestamp>,
    pub instances: Vec<Instance>,
}

impl JobView {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            account: self.account.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}
