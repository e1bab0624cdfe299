//! The error type that crosses the server-function boundary.
//!
//! Policy: every error a user can see says what went wrong and what to do about it. Server
//! code maps its own errors into one of these variants; the UI shows them through an
//! `ErrorBoundary`. Transport failures (the server could not be reached, a response did not
//! decode) arrive as [`AppError::Transport`].

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request never got a usable answer from the Gennaker server.
    #[error("could not talk to the Gennaker server: {0}")]
    Transport(String),
    /// The server is up but a part it needs is not (for example, it is still starting).
    #[error("{0}")]
    Unavailable(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
