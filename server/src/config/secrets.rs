//! `[[secrets]]`: named secrets (webhook keys, notification URLs, SMTP passwords) read at start
//! from a file or an environment variable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::values::secret_file;

/// A secret triggers and notifications name (`[[secrets]]`): read from a file or an
/// environment variable, never written in the configuration or a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecret {
    pub(super) name: String,
    #[serde(default)]
    pub(super) file: Option<PathBuf>,
    #[serde(default)]
    pub(super) env: Option<String>,
}

/// The named secrets of `[[secrets]]`. Their values are never shown: `Debug` lists names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: std::collections::BTreeMap<String, String>,
}

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// For tests and tools that build a configuration by hand.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Secrets {
        Secrets {
            values: pairs.into_iter().collect(),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

/// Reads every named secret from its file or environment variable.
pub(super) fn resolve_secrets(
    raw: Vec<RawSecret>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Secrets, ConfigError> {
    let mut values = std::collections::BTreeMap::new();
    for secret in raw {
        let fail = |problem: String| ConfigError::Secret {
            secret: secret.name.clone(),
            problem,
        };
        let name_ok = !secret.name.is_empty()
            && secret
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            return Err(fail(
                "the name must be letters, digits, '-', '_' or '.', such as github-webhook".into(),
            ));
        }
        if values.contains_key(&secret.name) {
            return Err(fail(
                "the name is used by an earlier secret; names must be unique".into(),
            ));
        }
        let value = match (&secret.file, &secret.env) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(fail(
                    "give exactly one of file (a path) or env (an environment variable's name)"
                        .into(),
                ));
            }
            (Some(path), None) => secret_file(Some(path), "file")
                .map_err(fail)?
                .unwrap_or_default(),
            (None, Some(var)) => env(var)
                .ok_or_else(|| fail(format!("the environment variable {var} is not set")))?,
        };
        if value.is_empty() {
            return Err(fail("it is empty".into()));
        }
        values.insert(secret.name, value);
    }
    Ok(Secrets { values })
}
