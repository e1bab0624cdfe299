//! What running a step once can report: an [`Outcome`] (done, not yet, wait until a time, wait
//! for a person) or a [`StepError`] that says whether trying again can help.

use gennaker_core::tasks::model::Outputs;
use gennaker_core::time::Timestamp;

use crate::kubernetes;

/// How one run of a step ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished; `outputs` are merged into the task's outputs for later steps and stages.
    Done { message: String, outputs: Outputs },
    /// Not there yet (Pods still starting): run the step again after the next change in the
    /// cluster, or after a second at the latest, until its deadline.
    Pending { message: String },
    /// Run the step again at `until` (the end of a Wait); stored, so a restart keeps it.
    WaitUntil { until: Timestamp, message: String },
    /// Park the step until someone gives it input (a Manual Judgment).
    AwaitInput { message: String },
}

impl Outcome {
    /// Finished, with nothing for later steps.
    pub fn done(message: impl Into<String>) -> Outcome {
        Outcome::Done {
            message: message.into(),
            outputs: Outputs::new(),
        }
    }

    pub fn pending(message: impl Into<String>) -> Outcome {
        Outcome::Pending {
            message: message.into(),
        }
    }
}

/// Why a run of a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The cluster refused or could not be reached; its error says whether to retry.
    #[error(transparent)]
    Kubernetes(#[from] kubernetes::Error),
    /// The step's own check found it cannot go on; the message says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// A Jenkins master did not answer, or refused; its error says whether to retry.
    #[error(transparent)]
    Jenkins(#[from] crate::jenkins::JenkinsError),
    /// A webhook did not answer, or answered with a status the stage retries or fails on.
    #[error("{message}")]
    Webhook { message: String, retryable: bool },
    /// An artifact could not be read; its error says whether to retry.
    #[error(transparent)]
    Artifact(#[from] crate::artifacts::ArtifactError),
    /// What the step was about to do could not be stored first, so it did nothing; tried
    /// again.
    #[error("nothing was changed, as it could not be recorded first: {0}")]
    Unrecorded(#[source] crate::store::StoreError),
}

impl StepError {
    pub fn refused(message: impl Into<String>) -> StepError {
        StepError::Refused(message.into())
    }

    /// Whether running the step again in a moment may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StepError::Kubernetes(error) => error.is_retryable(),
            StepError::Jenkins(error) => error.is_retryable(),
            StepError::Artifact(error) => error.is_retryable(),
            StepError::Refused(_) => false,
            StepError::Webhook { retryable, .. } => *retryable,
            StepError::Unrecorded(_) => true,
        }
    }
}
