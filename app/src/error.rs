//! The error type that crosses the server-function boundary, and the per-field problems it
//! carries.
//!
//! Policy: every error a user can see says what went wrong and what to do about it. Server
//! code maps its own errors into one of these variants; the UI shows them through an
//! `ErrorBoundary`. Transport failures (the server could not be reached, a response did not
//! decode) arrive as [`AppError::Transport`].
//!
//! A server function that can refuse a request returns `Result<Handled<T>, AppError>`: the
//! inner error is a refusal the user can act on (bad input, a conflict, a missing
//! application), answered with 200 so the browser does not log it as a failed request; the
//! outer error means the call itself failed. [`settle`] joins the two for the UI.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request never got a usable answer from the Gennaker server.
    #[error("could not talk to the Gennaker server: {0}")]
    Transport(String),
    /// The input has problems, one per field; nothing was changed.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Someone else changed the thing since it was read; nothing was overwritten.
    #[error("{0}")]
    Conflict(String),
    /// The Kubernetes cluster refused the request; the message is the cluster's own.
    #[error("{0}")]
    Cluster(String),
    /// The server is up but a part it needs is not (the store cannot be reached, say).
    #[error("{0}")]
    Unavailable(String),
    /// Nobody is signed in, or the session has ended: sign in and try again.
    #[error("{0}")]
    SignedOut(String),
    /// The signed-in user may not do this; the message says which permission it takes.
    #[error("{0}")]
    Forbidden(String),
}

pub use gennaker_core::error::FieldError;

impl From<FieldError> for AppError {
    fn from(problem: FieldError) -> AppError {
        AppError::Invalid(vec![problem])
    }
}

impl AppError {
    /// One problem with one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// A validation's problems as a refusal, if there are any.
    pub fn from_fields(problems: Vec<FieldError>) -> Result<(), AppError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// The message for `field`, if the input was refused for it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// The service's answer to a request it handled: the value, or a refusal the user can act on.
pub type Handled<T> = Result<T, AppError>;

/// Joins a call's failure and the service's refusal into one result.
pub fn settle<T>(result: Result<Handled<T>, AppError>) -> Result<T, AppError> {
    result.and_then(|handled| handled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_become_one_refusal() {
        assert_eq!(AppError::from_fields(Vec::new()), Ok(()));
        let refused = AppError::from_fields(vec![
            FieldError::new("name", "Name is required."),
            FieldError::new("ownerEmail", "Owner email is required."),
        ])
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Name is required. Owner email is required."
        );
        assert_eq!(
            refused.field_message("ownerEmail").as_deref(),
            Some("Owner email is required.")
        );
    }
}
