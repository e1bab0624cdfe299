//! Accounts as the UI sees them; the infrastructure module has the server function that lists
//! them.

use serde::{Deserialize, Serialize};

/// A Kubernetes account: a kubeconfig context Gennaker deploys to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesAccountSummary {
    /// The account's name, unique among accounts.
    pub name: String,
    /// The kubeconfig context; `None` means the kubeconfig's current context.
    pub context: Option<String>,
    /// The namespaces Gennaker may use; empty means all of them.
    pub namespaces: Vec<String>,
    /// The namespaces a user may choose now: the configured list, or those the cluster has.
    pub available_namespaces: Vec<String>,
    /// Docker-registry accounts whose images this account deploys.
    pub docker_registries: Vec<String>,
    /// Things the user should fix, such as a context that was not set explicitly.
    pub warnings: Vec<String>,
    /// Whether Gennaker can watch the cluster right now.
    pub health: AccountHealth,
    /// Roles that may see (READ) and change (WRITE) what runs in it; none: everyone.
    #[serde(default)]
    pub permissions: crate::applications::model::Permissions,
}

/// How an account is doing, with the error when it is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHealth {
    pub status: HealthStatus,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HealthStatus {
    /// Listing the cluster for the first time.
    Connecting,
    Healthy,
    /// The last attempt failed; Gennaker keeps retrying.
    Unreachable,
}

impl HealthStatus {
    pub fn label(self) -> &'static str {
        match self {
            HealthStatus::Connecting => "Connecting",
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Unreachable => "Unreachable",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            HealthStatus::Connecting => "connecting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unreachable => "unreachable",
        }
    }
}
