//! Accounts as configured, offered to the UI through [`AccountDirectory`].

use gennaker_app::accounts::KubernetesAccountSummary;
use gennaker_app::services::AccountDirectory;

use crate::config::KubernetesConfig;

/// The accounts read from the configuration at start-up.
pub struct ConfiguredAccounts {
    kubernetes: Vec<KubernetesAccountSummary>,
}

impl ConfiguredAccounts {
    pub fn new(config: &KubernetesConfig) -> ConfiguredAccounts {
        let kubernetes = config
            .accounts
            .iter()
            .map(|account| KubernetesAccountSummary {
                name: account.name.clone(),
                context: account.context.clone(),
                namespaces: account.namespaces.clone(),
                warnings: account.warnings(),
            })
            .collect();
        ConfiguredAccounts { kubernetes }
    }
}

impl AccountDirectory for ConfiguredAccounts {
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary> {
        self.kubernetes.clone()
    }
}
