//! Why the configuration was refused: each kind names the key, the value and what would be
//! accepted.

use std::path::PathBuf;

use kube::config::KubeconfigError;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// Unknown keys, wrong types and unparsable TOML; figment's message names the key and
    /// the file or variable it came from.
    #[error("{0}")]
    Invalid(#[source] Box<figment::Error>),
    #[error("listen = {value:?} is not an address with a port, such as 127.0.0.1:8080")]
    Listen {
        value: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error(
        "log = {value:?} is not a log filter such as \"info\" or \"info,gennaker=debug\": {source}"
    )]
    Log {
        value: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot read the kubeconfig {} (from {origin}): {source}", path.display())]
    Kubeconfig {
        path: PathBuf,
        origin: &'static str,
        #[source]
        source: KubeconfigError,
    },
    #[error("Kubernetes account {account:?}: {problem}")]
    Account { account: String, problem: String },
    #[error("store: {0}")]
    Store(String),
    #[error("docker registry {registry:?}: {problem}")]
    Registry { registry: String, problem: String },
    #[error("Jenkins master {master:?}: {problem}")]
    Jenkins { master: String, problem: String },
    #[error("artifact account {account:?}: {problem}")]
    ArtifactAccount { account: String, problem: String },
    #[error("secret {secret:?}: {problem}")]
    Secret { secret: String, problem: String },
    #[error("[notifications]: {0}")]
    Notifications(String),
    #[error("[auth]: {0}")]
    Auth(String),
    #[error("[gate] path = {value:?}: {problem}")]
    GatePath { value: String, problem: String },
    #[error("{key} = {value:?} is not a duration such as \"15m\", \"2h\" or \"30days\": {source}")]
    Duration {
        key: &'static str,
        value: String,
        #[source]
        source: humantime::DurationError,
    },
    #[error("{key} = {value:?} must be at least {minimum}")]
    TooShort {
        key: &'static str,
        value: String,
        minimum: &'static str,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        ConfigError::Invalid(Box::new(error))
    }
}
