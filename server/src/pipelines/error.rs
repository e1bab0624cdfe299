//! The pipeline engine's errors, in its own terms. They become the API's [`AppError`] once, where
//! [`super::Pipelines`] (the service the UI and the JSON API call) and the triggers hand a
//! result on.

use gennaker_app::error::{AppError, FieldError};
use gennaker_core::expressions::ExpressionError;
use gennaker_core::ids::ExecutionId;

use super::rules::Refusal;
use crate::store::StoreError;
use crate::tasks::TaskError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("There is no execution {0}.")]
    NoExecution(ExecutionId),
    /// A command the execution's state does not allow, or a person may not give.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The pipeline cannot start now (it is disabled, or would be too deep in a chain).
    #[error("{0}")]
    NotStartable(String),
    /// What to correct before it can start: the pipeline's blockers, the parameters given.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Expression(#[source] ExpressionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Task(#[from] TaskError),
}

impl Error {
    /// `problems` as an error, if there are any.
    pub fn from_fields(problems: Vec<FieldError>) -> Result<(), Error> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems))
        }
    }
}

impl From<Error> for AppError {
    fn from(error: Error) -> AppError {
        match error {
            Error::NoExecution(_) => AppError::NotFound(error.to_string()),
            Error::Refused(refusal) => match refusal {
                Refusal::State(message) => AppError::Conflict(message),
                Refusal::NoStage(_) => AppError::NotFound(refusal.to_string()),
                Refusal::Invalid { field, message } => AppError::invalid(field, message),
                Refusal::Forbidden(message) => AppError::Forbidden(message),
            },
            Error::NotStartable(message) => AppError::Conflict(message),
            Error::Invalid(problems) => AppError::Invalid(problems),
            Error::Expression(error) => AppError::invalid("expression", error.to_string()),
            Error::Store(error) => super::configs::from_store(error),
            Error::Task(error) => error.into(),
        }
    }
}
