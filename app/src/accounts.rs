//! Accounts as the UI sees them, and the server function that lists them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A Kubernetes account: a kubeconfig context Gennaker deploys to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesAccountSummary {
    /// The account's name, unique among accounts.
    pub name: String,
    /// The kubeconfig context; `None` means the kubeconfig's current context.
    pub context: Option<String>,
    /// The namespaces Gennaker may use; empty means all of them.
    pub namespaces: Vec<String>,
    /// Things the user should fix, such as a context that was not set explicitly.
    pub warnings: Vec<String>,
}

/// Lists the configured Kubernetes accounts.
#[server]
pub async fn list_kubernetes_accounts() -> Result<Vec<KubernetesAccountSummary>, AppError> {
    let services = use_context::<crate::services::Services>()
        .ok_or_else(|| AppError::Unavailable("the server has not finished starting".into()))?;
    Ok(services.accounts.kubernetes_accounts())
}
