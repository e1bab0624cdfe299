//! The narrow interfaces server functions use to reach the backend. The server crate
//! implements them and provides a [`Services`] value as context for every request, so
//! the UI crate never learns how configuration, storage or Kubernetes work.

use std::sync::Arc;

use crate::accounts::KubernetesAccountSummary;
use crate::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use crate::error::AppError;

/// Read access to the configured accounts.
pub trait AccountDirectory: Send + Sync {
    /// The Kubernetes accounts, in configuration order.
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary>;
}

/// Applications: list, read, change, and their history. `who` names the acting user.
#[async_trait::async_trait]
pub trait ApplicationCatalog: Send + Sync {
    /// Applications whose name, owner or description contains `query`, ordered by `sort`.
    async fn list(&self, query: &str, sort: ApplicationSort) -> Result<Vec<Application>, AppError>;
    async fn get(&self, name: &str) -> Result<Application, AppError>;
    async fn create(&self, spec: ApplicationSpec, who: &str) -> Result<Application, AppError>;
    /// Saves `spec` if the application is still at `version`.
    async fn update(
        &self,
        name: &str,
        version: u64,
        spec: ApplicationSpec,
        who: &str,
    ) -> Result<Application, AppError>;
    /// Deletes the application if it is still at `version` and `confirm` repeats its name.
    async fn delete(
        &self,
        name: &str,
        version: u64,
        confirm: &str,
        who: &str,
    ) -> Result<(), AppError>;
    /// Every saved version, newest first.
    async fn history(&self, name: &str) -> Result<Vec<ApplicationVersion>, AppError>;
    /// One saved version.
    async fn version(&self, name: &str, version: u64) -> Result<ApplicationVersion, AppError>;
    /// Makes `version`'s content the newest version, if the application is at `expected_version`.
    async fn restore(
        &self,
        name: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<Application, AppError>;
}

/// Everything server functions may call, provided as Leptos context.
#[derive(Clone)]
pub struct Services {
    /// Accounts from the configuration.
    pub accounts: Arc<dyn AccountDirectory>,
    /// Applications in the store.
    pub applications: Arc<dyn ApplicationCatalog>,
}
