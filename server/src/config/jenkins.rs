//! `[[jenkins_masters]]`: the Jenkins masters the Jenkins stage and triggers use, with their API
//! tokens and CA certificates.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::values::{ca_file, credentials};

/// A Jenkins master as written: `[[jenkins_masters]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJenkinsMaster {
    pub(super) name: String,
    pub(super) address: String,
    #[serde(default)]
    pub(super) username: Option<String>,
    #[serde(default)]
    pub(super) api_token: Option<String>,
    #[serde(default)]
    pub(super) api_token_file: Option<PathBuf>,
    #[serde(default)]
    pub(super) ca_file: Option<PathBuf>,
}

/// A Jenkins master the Jenkins stage starts builds on.
#[derive(Clone, PartialEq, Eq)]
pub struct JenkinsMaster {
    pub name: String,
    /// The base URL, ending in `/` (`https://jenkins.example.com/`, or with a path prefix).
    pub address: String,
    /// User and API token for basic authentication, if any.
    pub credentials: Option<(String, String)>,
    /// PEM certificates of a private CA the master's certificate is signed by.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for JenkinsMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsMaster")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// Checks the Jenkins masters and reads their API token files and CA certificates.
pub(super) fn resolve_jenkins(
    raw: Vec<RawJenkinsMaster>,
) -> Result<Vec<JenkinsMaster>, ConfigError> {
    let mut masters: Vec<JenkinsMaster> = Vec::with_capacity(raw.len());
    for master in raw {
        let fail = |problem: String| ConfigError::Jenkins {
            master: master.name.clone(),
            problem,
        };
        if master.name.trim().is_empty() || master.name.contains(char::is_whitespace) {
            return Err(fail(
                "the name must be a word without spaces, such as ci".into(),
            ));
        }
        if masters.iter().any(|m| m.name == master.name) {
            return Err(fail(
                "the name is used by an earlier master; names must be unique".into(),
            ));
        }
        let url = reqwest::Url::parse(&master.address)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(mut url) = url else {
            return Err(fail(format!(
                "address {:?} is not an http:// or https:// URL, such as https://jenkins.example.com/",
                master.address
            )));
        };
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let credentials = credentials(
            master.username,
            master.api_token,
            master.api_token_file.as_deref(),
            "api_token",
        )
        .map_err(fail)?;
        let ca_pem = ca_file(master.ca_file.as_deref()).map_err(fail)?;
        masters.push(JenkinsMaster {
            name: master.name,
            address: url.to_string(),
            credentials,
            ca_pem,
        });
    }
    Ok(masters)
}
