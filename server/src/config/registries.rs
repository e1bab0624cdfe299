//! `[[docker_registries]]`: the container registries images are listed from, with their
//! credentials and CA certificates.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::values::{ca_file, credentials};
use gennaker_core::infrastructure::names::dns_label_problem;

/// A docker-registry account as written: `[[docker_registries]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDockerRegistry {
    pub(super) name: String,
    pub(super) address: String,
    #[serde(default)]
    pub(super) username: Option<String>,
    #[serde(default)]
    pub(super) password: Option<String>,
    #[serde(default)]
    pub(super) password_file: Option<PathBuf>,
    #[serde(default)]
    pub(super) ca_file: Option<PathBuf>,
    #[serde(default)]
    pub(super) repositories: Vec<String>,
}

/// A container registry Gennaker lists images from.
#[derive(Clone, PartialEq, Eq)]
pub struct DockerRegistryAccount {
    pub name: String,
    /// `host[:port]`, reached over HTTPS (or plain HTTP when written as `http://host:port`).
    pub address: String,
    pub plain_http: bool,
    /// Username and password for basic authentication, if any.
    pub credentials: Option<(String, String)>,
    /// PEM certificates of a private CA the registry's certificate is signed by.
    pub ca_pem: Option<Vec<u8>>,
    /// Repositories listed by hand, for registries whose catalog is empty or disabled.
    pub repositories: Vec<String>,
}

impl std::fmt::Debug for DockerRegistryAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerRegistryAccount")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// Checks the docker-registry accounts and reads their password files and CA certificates.
pub(super) fn resolve_registries(
    raw: Vec<RawDockerRegistry>,
) -> Result<Vec<DockerRegistryAccount>, ConfigError> {
    let mut registries: Vec<DockerRegistryAccount> = Vec::with_capacity(raw.len());
    for registry in raw {
        let fail = |problem: String| ConfigError::Registry {
            registry: registry.name.clone(),
            problem,
        };
        if let Some(problem) = dns_label_problem("The name", &registry.name) {
            return Err(fail(problem));
        }
        if registries.iter().any(|r| r.name == registry.name) {
            return Err(fail(
                "the name is used by an earlier registry; names must be unique".into(),
            ));
        }
        let (plain_http, address) = match registry.address.split_once("://") {
            Some(("http", rest)) => (true, rest),
            Some(("https", rest)) => (false, rest),
            Some((scheme, _)) => {
                return Err(fail(format!(
                    "address {:?} has the scheme {scheme:?}; write host:port (HTTPS) or http://host:port",
                    registry.address
                )));
            }
            None => (false, registry.address.as_str()),
        };
        let address = address.trim_end_matches('/');
        let host_ok = !address.is_empty()
            && !address.contains('/')
            && address
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_ok_and(|p| p > 0));
        if !host_ok {
            return Err(fail(format!(
                "address {:?} is not host[:port], such as registry.example.com or 127.0.0.1:5000",
                registry.address
            )));
        }
        let credentials = credentials(
            registry.username,
            registry.password,
            registry.password_file.as_deref(),
            "password",
        )
        .map_err(fail)?;
        let ca_pem = ca_file(registry.ca_file.as_deref()).map_err(fail)?;
        registries.push(DockerRegistryAccount {
            name: registry.name,
            address: address.to_string(),
            plain_http,
            credentials,
            ca_pem,
            repositories: registry.repositories,
        });
    }
    Ok(registries)
}
