//! The narrow interfaces server functions use to reach the backend. The server crate
//! implements them and provides a [`Services`] value as context for every request, so
//! the UI crate never learns how configuration, storage or Kubernetes work.

use std::sync::Arc;

use crate::accounts::KubernetesAccountSummary;

/// Read access to the configured accounts.
pub trait AccountDirectory: Send + Sync {
    /// The Kubernetes accounts, in configuration order.
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary>;
}

/// Everything server functions may call, provided as Leptos context.
#[derive(Clone)]
pub struct Services {
    /// Accounts from the configuration.
    pub accounts: Arc<dyn AccountDirectory>,
}
