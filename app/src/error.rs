//! The error type that crosses the server-function boundary.
//!
//! Policy: every error a user can see says what went wrong and what to do about it. Server
//! code maps its own errors into one of these variants; the UI shows them through an
//! `ErrorBoundary`. Transport failures (the server could not be reached, a response did not
//! decode) arrive as [`AppError::Transport`].

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::applications::model::FieldError;

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
}

impl AppError {
    /// One problem with one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
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
