//! The Kubernetes provider: one connection and one watch-fed cache per configured account,
//! read models of server groups, load balancers and security groups built from the cache,
//! and the manifests Gennaker writes.

pub mod cache;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod jobs;
pub mod manifests;
pub mod moniker;
pub mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use gennaker_core::accounts::{AccountHealth, HealthStatus, KubernetesAccountSummary};
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::config::{KubernetesAccount, KubernetesConfig};
use crate::events::EventBus;
use cache::{Cache, Scope, WatchState};
pub use error::{Error, Result};

/// One account: its settings, its client and its cache.
pub struct Account {
    pub settings: KubernetesAccount,
    /// An error when the client could not be built (it says why).
    connection: std::result::Result<Connection, Arc<ConnectError>>,
}

/// Why an account has no client.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no kubeconfig was loaded")]
    NoKubeconfig,
    #[error("the kubeconfig entry cannot be used: {0}")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    #[error("cannot build a client: {0}")]
    Client(#[source] kube::Error),
}

pub struct Connection {
    pub client: Client,
    pub cache: Cache,
}

impl Connection {
    /// The account's connection on `client`, its cache's watchers started.
    fn start(settings: &KubernetesAccount, client: Client, events: EventBus) -> Connection {
        let scope = if settings.namespaces.is_empty() {
            Scope::All
        } else {
            Scope::Namespaces(settings.namespaces.clone())
        };
        let cache = Cache::start(&settings.name, client.clone(), scope, events);
        Connection { client, cache }
    }
}

impl Account {
    /// The connection, or an error a user can act on.
    pub fn connection(&self) -> Result<&Connection> {
        self.connection
            .as_ref()
            .map_err(|reason| Error::NoConnection {
                account: self.settings.name.clone(),
                reason: Arc::clone(reason),
            })
    }
}

/// Every configured account.
pub struct Kubernetes {
    accounts: BTreeMap<String, Account>,
    order: Vec<String>,
}

impl Kubernetes {
    /// Connects every account and starts its watchers. An account whose client cannot be built
    /// stays listed, with the error, so the Infrastructure page can show it.
    pub async fn connect(config: &KubernetesConfig, events: EventBus) -> Kubernetes {
        let mut accounts = BTreeMap::new();
        let mut order = Vec::new();
        for settings in &config.accounts {
            let connection = match &config.kubeconfig {
                Some(loaded) => client_for(&loaded.kubeconfig, settings)
                    .await
                    .map(|client| Connection::start(settings, client, events.clone())),
                None => Err(ConnectError::NoKubeconfig),
            }
            .map_err(Arc::new);
            if let Err(error) = &connection {
                tracing::error!(account = %settings.name, "cannot connect: {error}");
            }
            order.push(settings.name.clone());
            accounts.insert(
                settings.name.clone(),
                Account {
                    settings: settings.clone(),
                    connection,
                },
            );
        }
        Kubernetes { accounts, order }
    }

    /// One account on a client made elsewhere (a test's mocked API server, say); its cache
    /// watches through that client as a connected account's does.
    pub fn from_client(
        settings: KubernetesAccount,
        client: Client,
        events: EventBus,
    ) -> Kubernetes {
        let connection = Connection::start(&settings, client, events);
        let name = settings.name.clone();
        let account = Account {
            settings,
            connection: Ok(connection),
        };
        Kubernetes {
            accounts: BTreeMap::from([(name.clone(), account)]),
            order: vec![name],
        }
    }

    pub fn account(&self, name: &str) -> Result<&Account> {
        self.accounts
            .get(name)
            .ok_or_else(|| Error::UnknownAccount {
                name: name.to_string(),
                known: self.order.join(", "),
            })
    }

    /// The connection of `account`, checked to allow `namespace`.
    pub fn connection_for(&self, account: &str, namespace: &str) -> Result<&Connection> {
        let connection = self.account(account)?.connection()?;
        if !connection.cache.allows(namespace) {
            return Err(Error::NamespaceNotAllowed {
                account: account.to_string(),
                namespace: namespace.to_string(),
                allowed: connection.cache.namespaces().join(", "),
            });
        }
        Ok(connection)
    }

    /// Waits, at most `limit` in all, while an account's cache is still making its first list.
    /// A synced account does not hold anything up, and neither does a failing one: the
    /// operation reports that account's error.
    pub async fn wait_synced(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self
            .connected()
            .any(|(_, c)| c.cache.health.summary() == cache::WatchState::Syncing)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Accounts with a connection, in configuration order.
    pub fn connected(&self) -> impl Iterator<Item = (&str, &Connection)> {
        self.order.iter().filter_map(|name| {
            let account = self.accounts.get(name)?;
            account.connection.as_ref().ok().map(|c| (name.as_str(), c))
        })
    }

    /// What the Infrastructure page shows.
    pub fn summaries(&self) -> Vec<KubernetesAccountSummary> {
        self.order
            .iter()
            .filter_map(|name| self.accounts.get(name))
            .map(|account| {
                let (health, namespaces) = match &account.connection {
                    Ok(connection) => {
                        let health = match connection.cache.health.summary() {
                            WatchState::Syncing => AccountHealth {
                                status: HealthStatus::Connecting,
                                message: None,
                            },
                            WatchState::Healthy => AccountHealth {
                                status: HealthStatus::Healthy,
                                message: None,
                            },
                            WatchState::Failing(error) => AccountHealth {
                                status: HealthStatus::Unreachable,
                                message: Some(error),
                            },
                        };
                        (health, connection.cache.namespaces())
                    }
                    Err(error) => (
                        AccountHealth {
                            status: HealthStatus::Unreachable,
                            message: Some(error.to_string()),
                        },
                        account.settings.namespaces.clone(),
                    ),
                };
                KubernetesAccountSummary {
                    name: account.settings.name.clone(),
                    context: account.settings.context.clone(),
                    namespaces: account.settings.namespaces.clone(),
                    available_namespaces: namespaces,
                    docker_registries: account.settings.docker_registries.clone(),
                    warnings: account.settings.warnings(),
                    health,
                    permissions: account.settings.permissions.clone(),
                }
            })
            .collect()
    }
}

async fn client_for(
    kubeconfig: &Kubeconfig,
    account: &KubernetesAccount,
) -> std::result::Result<Client, ConnectError> {
    let options = KubeConfigOptions {
        context: account.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(ConnectError::Kubeconfig)?;
    Client::try_from(config).map_err(ConnectError::Client)
}

impl gennaker_app::services::AccountDirectory for Kubernetes {
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary> {
        self.summaries()
    }
}

#[async_trait::async_trait]
impl gennaker_app::services::Infrastructure for Kubernetes {
    async fn clusters(
        &self,
        application: &str,
    ) -> Result<
        Vec<gennaker_core::infrastructure::server_groups::ClusterView>,
        gennaker_app::error::AppError,
    > {
        Ok(Kubernetes::clusters(self, application))
    }
    async fn load_balancers(
        &self,
        application: &str,
    ) -> Result<
        Vec<gennaker_core::infrastructure::load_balancers::LoadBalancer>,
        gennaker_app::error::AppError,
    > {
        Ok(Kubernetes::load_balancers(self, application))
    }
    async fn security_groups(
        &self,
        application: &str,
    ) -> Result<
        Vec<gennaker_core::infrastructure::load_balancers::SecurityGroup>,
        gennaker_app::error::AppError,
    > {
        Ok(Kubernetes::security_groups(self, application))
    }
    async fn jobs(
        &self,
        application: &str,
    ) -> Result<Vec<gennaker_core::infrastructure::jobs::JobView>, gennaker_app::error::AppError>
    {
        Ok(Kubernetes::jobs(self, application))
    }
}
