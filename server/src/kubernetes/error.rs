//! The Kubernetes provider's error. It keeps the cluster's own error as its source and says
//! whether trying again can help: a stale resourceVersion, a throttled request or an API server
//! that cannot be reached is worth retrying; a refused manifest, a missing namespace or a
//! forbidden request is not. It becomes the UI's and the API's error only at the service
//! boundary (`From<Error> for AppError`).

use gennaker_app::error::AppError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("There is no Kubernetes account {name:?}; {}", known_accounts(known))]
    UnknownAccount { name: String, known: String },
    #[error("Account {account:?} may not use namespace {namespace:?}; it may use: {allowed}.")]
    NamespaceNotAllowed {
        account: String,
        namespace: String,
        allowed: String,
    },
    #[error("Kubernetes account {account:?} has no connection: {reason}")]
    NoConnection {
        account: String,
        #[source]
        reason: std::sync::Arc<super::ConnectError>,
    },
    /// A request to the API server failed; `action` says what Gennaker was doing.
    #[error("{action}: {}", describe(source))]
    Api {
        action: String,
        #[source]
        source: kube::Error,
    },
    #[error("The cluster has no resource type {kind:?}{}.", api_version.as_ref().map(|v| format!(" in {v}")).unwrap_or_default())]
    UnknownKind {
        kind: String,
        api_version: Option<String>,
    },
    /// Manifest text that is not a list of Kubernetes objects.
    #[error("{0}")]
    Manifest(String),
}

/// The configured accounts to choose from, or that there are none.
fn known_accounts(known: &str) -> String {
    if known.is_empty() {
        "no Kubernetes accounts are configured: add one to [[kubernetes.accounts]] (or give a kubeconfig)."
            .into()
    } else {
        format!("the accounts are: {known}.")
    }
}

/// The cluster's own words for a refusal, or why it could not be reached.
fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("the cluster refused: {}", status.message),
        other => format!("cannot reach the cluster: {other}"),
    }
}

impl Error {
    /// An API request that failed while doing `action` ("creating web-v001").
    pub fn api(action: impl Into<String>, source: kube::Error) -> Error {
        Error::Api {
            action: action.into(),
            source,
        }
    }

    /// The HTTP status the API server answered with, if it answered.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Error::Api {
                source: kube::Error::Api(status),
                ..
            } => Some(status.code),
            _ => None,
        }
    }

    /// Whether the same request may succeed if tried again in a moment.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api {
                source: kube::Error::Api(status),
                ..
            } => match status.code {
                // A stale resourceVersion, not an object that already exists.
                409 => status.reason == "Conflict",
                // Throttled, or the API server's own trouble (etcd leader change, a timeout).
                429 | 500 | 502 | 503 | 504 => true,
                _ => false,
            },
            // The request never got an answer: a refused or reset connection, a timeout.
            Error::Api {
                source: kube::Error::HyperError(_) | kube::Error::Service(_),
                ..
            } => true,
            // An account whose client cannot be built stays so until the configuration changes.
            _ => false,
        }
    }
}

impl From<Error> for AppError {
    fn from(error: Error) -> AppError {
        let message = error.to_string();
        match error {
            Error::UnknownAccount { .. } => AppError::invalid("account", message),
            Error::NamespaceNotAllowed { .. } => AppError::invalid("namespace", message),
            Error::UnknownKind { .. } => AppError::invalid("kind", message),
            Error::Manifest(_) => AppError::invalid("manifest", message),
            Error::NoConnection { .. } => AppError::Unavailable(message),
            Error::Api {
                source: kube::Error::Api(ref status),
                ..
            } => match status.code {
                404 => AppError::NotFound(message),
                409 => AppError::Conflict(message),
                _ => AppError::Cluster(message),
            },
            Error::Api { .. } => AppError::Unavailable(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: u16, reason: &str, message: &str) -> Error {
        let status = kube::core::Status::failure(message, reason).with_code(code);
        Error::api("creating web-v001", kube::Error::Api(status.boxed()))
    }

    #[test]
    fn only_errors_that_can_pass_are_retried() {
        assert!(refused(409, "Conflict", "the object has been modified").is_retryable());
        assert!(refused(429, "TooManyRequests", "slow down").is_retryable());
        assert!(refused(503, "ServiceUnavailable", "etcd").is_retryable());
        assert!(!refused(409, "AlreadyExists", "exists").is_retryable());
        assert!(!refused(422, "Invalid", "spec.replicas: Invalid value").is_retryable());
        assert!(!refused(400, "BadRequest", "bad").is_retryable());
        assert!(!refused(403, "Forbidden", "no").is_retryable());
        assert!(!refused(404, "NotFound", "namespaces \"nope\" not found").is_retryable());
        assert!(
            !Error::UnknownKind {
                kind: "Widget".into(),
                api_version: None
            }
            .is_retryable()
        );
    }

    #[test]
    fn a_refusal_carries_the_clusters_words_and_its_kind() {
        let error = refused(404, "NotFound", "namespaces \"nope\" not found");
        assert_eq!(
            error.to_string(),
            "creating web-v001: the cluster refused: namespaces \"nope\" not found"
        );
        assert_eq!(error.status_code(), Some(404));
        assert!(std::error::Error::source(&error).is_some());
        assert!(matches!(AppError::from(error), AppError::NotFound(_)));
        let invalid = refused(422, "Invalid", "spec.replicas: Invalid value: -1");
        assert!(matches!(AppError::from(invalid), AppError::Cluster(_)));
    }
}
