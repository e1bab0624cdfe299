//! `[kubernetes]`: the kubeconfig and the accounts (contexts) Gennaker deploys to, with their
//! namespaces, registries and permissions.

use std::path::{Path, PathBuf};

use kube::config::{Kubeconfig, KubeconfigError};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use gennaker_core::infrastructure::names::{account_name_problem, dns_label_problem};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKubernetes {
    #[serde(default)]
    pub(super) accounts: Vec<RawKubernetesAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKubernetesAccount {
    pub(super) name: String,
    #[serde(default)]
    pub(super) context: Option<String>,
    #[serde(default)]
    pub(super) namespaces: Vec<String>,
    #[serde(default)]
    pub(super) docker_registries: Vec<String>,
    #[serde(default)]
    pub(super) permissions: gennaker_core::applications::model::Permissions,
}

/// Kubernetes accounts, resolved against the kubeconfig.
#[derive(Debug, Clone, Default)]
pub struct KubernetesConfig {
    /// The kubeconfig that was read, if any.
    pub kubeconfig: Option<LoadedKubeconfig>,
    /// The accounts, in configuration order; their names are unique.
    pub accounts: Vec<KubernetesAccount>,
}

impl KubernetesConfig {
    /// One account, `name`, for the current context of the kubeconfig at `path`, in every
    /// namespace: what a local cluster needs (the tests and benchmarks use it).
    pub fn single_account(name: &str, path: &Path) -> Result<KubernetesConfig, KubeconfigError> {
        let kubeconfig = Kubeconfig::read_from(path)?;
        let context = kubeconfig.current_context.clone();
        Ok(KubernetesConfig {
            kubeconfig: Some(LoadedKubeconfig {
                path: path.to_path_buf(),
                kubeconfig,
            }),
            accounts: vec![KubernetesAccount {
                name: name.to_string(),
                context,
                namespaces: Vec::new(),
                docker_registries: Vec::new(),
                permissions: Default::default(),
            }],
        })
    }
}

/// A kubeconfig and where it was read from.
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    pub path: PathBuf,
    pub kubeconfig: Kubeconfig,
}

/// One Kubernetes account: a context Gennaker deploys to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesAccount {
    pub name: String,
    /// `None`: the kubeconfig's current context (Gennaker warns about this).
    pub context: Option<String>,
    /// Empty: all namespaces.
    pub namespaces: Vec<String>,
    /// Docker-registry accounts whose images it deploys.
    pub docker_registries: Vec<String>,
    /// Roles that may see (READ) and change (WRITE) what runs in it; none: everyone.
    pub permissions: gennaker_core::applications::model::Permissions,
}

impl KubernetesAccount {
    /// What the user should fix about this account, if anything.
    pub fn warnings(&self) -> Vec<String> {
        match self.context {
            Some(_) => Vec::new(),
            None => vec![
                "no kubeconfig context is set, so the kubeconfig's current context is used; \
                 set `context` so that switching contexts cannot redirect deployments"
                    .to_string(),
            ],
        }
    }
}

/// Finds and reads the kubeconfig: the configured path, else `$KUBECONFIG` (its first
/// entry), else `~/.kube/config` when it exists. A path the user named must be readable.
pub(super) fn load_kubeconfig(
    configured: Option<&Path>,
    env: Option<std::ffi::OsString>,
) -> Result<Option<LoadedKubeconfig>, ConfigError> {
    let from_env =
        env.and_then(|value| std::env::split_paths(&value).find(|p| !p.as_os_str().is_empty()));
    let (path, origin) = match (configured, from_env) {
        (Some(path), _) => (path.to_path_buf(), "the `kubeconfig` setting"),
        (None, Some(path)) => (path, "$KUBECONFIG"),
        (None, None) => match std::env::var_os("HOME") {
            Some(home) => {
                let path = PathBuf::from(home).join(".kube").join("config");
                if !path.exists() {
                    return Ok(None);
                }
                (path, "the default location")
            }
            None => return Ok(None),
        },
    };
    let kubeconfig = Kubeconfig::read_from(&path).map_err(|source| ConfigError::Kubeconfig {
        path: path.clone(),
        origin,
        source,
    })?;
    Ok(Some(LoadedKubeconfig { path, kubeconfig }))
}

/// Turns the configured accounts into checked ones. Without any configured, each context of
/// the kubeconfig becomes an account of the same name.
pub(super) fn resolve_accounts(
    raw: Vec<RawKubernetesAccount>,
    kubeconfig: Option<&LoadedKubeconfig>,
) -> Result<Vec<KubernetesAccount>, ConfigError> {
    let contexts: Vec<&str> = kubeconfig
        .map(|k| {
            k.kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect()
        })
        .unwrap_or_default();

    if raw.is_empty() {
        return Ok(contexts
            .iter()
            .map(|context| KubernetesAccount {
                name: (*context).to_string(),
                context: Some((*context).to_string()),
                namespaces: Vec::new(),
                docker_registries: Vec::new(),
                permissions: Default::default(),
            })
            .collect());
    }

    let mut accounts: Vec<KubernetesAccount> = Vec::with_capacity(raw.len());
    for account in raw {
        let fail = |problem: String| ConfigError::Account {
            account: account.name.clone(),
            problem,
        };
        if let Some(problem) = account_name_problem("The name", &account.name) {
            return Err(fail(problem));
        }
        if accounts.iter().any(|a| a.name == account.name) {
            return Err(fail(
                "the name is used by an earlier account; names must be unique".into(),
            ));
        }
        let Some(loaded) = kubeconfig else {
            return Err(fail(
                "no kubeconfig was found; set `kubeconfig`, $KUBECONFIG or create ~/.kube/config"
                    .into(),
            ));
        };
        match &account.context {
            Some(context) if !contexts.contains(&context.as_str()) => {
                return Err(fail(format!(
                    "context {context:?} is not in {} (it has: {})",
                    loaded.path.display(),
                    if contexts.is_empty() {
                        "no contexts".to_string()
                    } else {
                        contexts.join(", ")
                    }
                )));
            }
            None if loaded.kubeconfig.current_context.is_none() => {
                return Err(fail(format!(
                    "no `context` is set and {} has no current-context; set `context`",
                    loaded.path.display()
                )));
            }
            _ => {}
        }
        for namespace in &account.namespaces {
            if let Some(problem) = dns_label_problem("Namespace", namespace) {
                return Err(fail(problem));
            }
        }
        accounts.push(KubernetesAccount {
            name: account.name,
            context: account.context,
            namespaces: account.namespaces,
            docker_registries: account.docker_registries,
            permissions: account.permissions,
        });
    }
    Ok(accounts)
}
