//! Reading what artifacts hold: `embedded/base64` (the `reference` is the content),
//! `http/file` (a GET of the `reference` URL), `github/file` and `gitlab/file` (their contents
//! APIs: the `reference` is the file's API URL, the `version` its branch, tag or commit), and
//! `git/repo` (the repository at `reference` checked out at `version`, the files under
//! `metadata.subPath` or `location`). Credentials come from the `[[artifact_accounts]]` the
//! artifact names as `artifactAccount`; an artifact naming none is read without them.
//!
//! Every read is bounded: at most [`MAX_BYTES`] in all, [`MAX_FILES`] files from a repository,
//! [`HTTP_TIMEOUT`] for a request and [`GIT_TIMEOUT`] for a checkout (`git` runs as a child
//! process, never through a shell, speaking only http(s), with no prompt for a password).
//! Reads change nothing anywhere, so a step that reads again after a crash is harmless.

mod bake;
mod git;
mod http;

use std::time::Duration;

use base64::Engine;
use gennaker_core::pipelines::artifacts::Artifact;

use crate::config::ArtifactAccount;

/// The most bytes one artifact's contents may have.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The most files read from a `git/repo` artifact.
pub const MAX_FILES: usize = 1000;
/// How long one HTTP read may take.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one `git/repo` checkout may take.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(120);

/// One file of an artifact: its path (in the repository, or the artifact's name) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// Why an artifact could not be read; the message names the artifact and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The artifact is not one Gennaker can read (its type, its reference).
    #[error("{0}")]
    Invalid(String),
    /// The server answered with a refusal (not found, not allowed).
    #[error("{0}")]
    Refused(String),
    /// The server could not be reached or failed; reading again may work.
    #[error("{0}")]
    Unavailable(String),
}

impl ArtifactError {
    /// Whether reading again in a moment may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ArtifactError::Unavailable(_))
    }
}

/// Reads artifacts with the configured accounts.
pub struct ArtifactReader {
    accounts: Vec<ArtifactAccount>,
    http: reqwest::Client,
    /// The tools Bake (Manifest) renders with.
    renderers: crate::config::BakeConfig,
}

impl ArtifactReader {
    pub fn new(accounts: &[ArtifactAccount]) -> ArtifactReader {
        ArtifactReader {
            accounts: accounts.to_vec(),
            http: reqwest::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .build()
                .unwrap_or_default(),
            renderers: crate::config::BakeConfig::default(),
        }
    }

    /// The same reader, baking with `renderers`.
    pub fn with_renderers(mut self, renderers: crate::config::BakeConfig) -> ArtifactReader {
        self.renderers = renderers;
        self
    }

    /// The account the artifact names, when it is configured for the artifact's type.
    fn account(
        &self,
        artifact: &Artifact,
        kind: &str,
    ) -> Result<Option<&ArtifactAccount>, ArtifactError> {
        let Some(name) = artifact
            .artifact_account
            .as_deref()
            .filter(|n| !n.is_empty())
        else {
            return Ok(None);
        };
        match self.accounts.iter().find(|a| a.name == name) {
            Some(account) if account.kind == kind => Ok(Some(account)),
            Some(account) => Err(ArtifactError::Invalid(format!(
                "artifact account {name:?} reads {} artifacts, not {kind}: choose an account of type {kind}",
                account.kind
            ))),
            // Spinnaker's default account names (embedded-artifact, http-default, ...) need no
            // configuration: such an artifact is read without credentials.
            None => Ok(None),
        }
    }

    /// The artifact's files: one for a file artifact, those under the sub-path for a
    /// repository.
    #[tracing::instrument(skip_all, fields(kind = artifact.kind.as_deref().unwrap_or_default()))]
    pub async fn files(&self, artifact: &Artifact) -> Result<Vec<ArtifactFile>, ArtifactError> {
        let kind = artifact.kind.as_deref().unwrap_or_default();
        let reference = artifact
            .reference
            .as_deref()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                ArtifactError::Invalid(format!(
                    "{} has no reference: give the artifact's reference (its content, URL or repository)",
                    artifact.describe()
                ))
            })?;
        let name = artifact
            .name
            .clone()
            .unwrap_or_else(|| reference.chars().take(80).collect());
        let single = |contents: Vec<u8>| {
            vec![ArtifactFile {
                path: name.clone(),
                contents,
            }]
        };
        match kind {
            "embedded/base64" => {
                let contents = base64::engine::general_purpose::STANDARD
                    .decode(reference.trim())
                    .map_err(|e| {
                        ArtifactError::Invalid(format!(
                            "{}: its reference is not base64 ({e}); an embedded/base64 artifact holds its content base64-encoded",
                            artifact.describe()
                        ))
                    })?;
                if contents.len() > MAX_BYTES {
                    return Err(too_large(artifact));
                }
                Ok(single(contents))
            }
            "http/file" => {
                let account = self.account(artifact, kind)?;
                let request = http::Request::plain(reference, account);
                Ok(single(http::get(&self.http, artifact, request).await?))
            }
            "github/file" => {
                let account = self.account(artifact, kind)?;
                let request =
                    http::Request::github(reference, artifact.version.as_deref(), account);
                Ok(single(http::get(&self.http, artifact, request).await?))
            }
            "gitlab/file" => {
                let account = self.account(artifact, kind)?;
                let request =
                    http::Request::gitlab(reference, artifact.version.as_deref(), account);
                Ok(single(http::get(&self.http, artifact, request).await?))
            }
            "git/repo" => {
                let account = self.account(artifact, kind)?;
                git::checkout(artifact, reference, account).await
            }
            other => Err(ArtifactError::Invalid(format!(
                "{} cannot be read: Gennaker reads the contents of {} artifacts, not {}",
                artifact.describe(),
                gennaker_core::pipelines::artifacts::CONTENT_TYPES.join(", "),
                if other.is_empty() {
                    "one without a type"
                } else {
                    other
                }
            ))),
        }
    }

    /// The artifact's Kubernetes manifests as one YAML text: its file, or the `.yaml`, `.yml`
    /// and `.json` files of a repository's sub-path in path order, as separate documents.
    pub async fn manifests(&self, artifact: &Artifact) -> Result<String, ArtifactError> {
        let files = self.files(artifact).await?;
        let many = files.len() > 1;
        let mut text = String::new();
        for file in files {
            if many
                && ![".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| file.path.ends_with(e))
            {
                continue;
            }
            let contents = String::from_utf8(file.contents).map_err(|_| {
                ArtifactError::Invalid(format!(
                    "{} of {} is not UTF-8 text, so it holds no manifest",
                    file.path,
                    artifact.describe()
                ))
            })?;
            if !text.is_empty() {
                text.push_str("\n---\n");
            }
            text.push_str(&contents);
        }
        if text.trim().is_empty() {
            return Err(ArtifactError::Invalid(format!(
                "{} holds no manifest{}",
                artifact.describe(),
                if many {
                    " (no .yaml, .yml or .json file under its sub-path)"
                } else {
                    ""
                }
            )));
        }
        Ok(text)
    }
}

fn too_large(artifact: &Artifact) -> ArtifactError {
    too_large_named(&artifact.describe())
}

fn too_large_named(what: &str) -> ArtifactError {
    ArtifactError::Invalid(format!(
        "{what} is larger than {} MiB, the most Gennaker reads of one artifact",
        MAX_BYTES / (1024 * 1024)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn artifact(value: serde_json::Value) -> Artifact {
        serde_json::from_value(value).expect("an artifact")
    }

    #[tokio::test]
    async fn embedded_artifacts_hold_their_content() {
        let reader = ArtifactReader::new(&[]);
        let text = base64::engine::general_purpose::STANDARD.encode("kind: ConfigMap\n");
        let read = reader
            .manifests(&artifact(
                json!({"type": "embedded/base64", "name": "m", "reference": text}),
            ))
            .await
            .expect("read");
        assert_eq!(read, "kind: ConfigMap\n");
        let broken = reader
            .files(&artifact(
                json!({"type": "embedded/base64", "reference": "not base64!"}),
            ))
            .await
            .expect_err("refused");
        assert!(broken.to_string().contains("not base64"), "{broken}");
    }

    #[tokio::test]
    async fn what_cannot_be_read_says_why() {
        let reader = ArtifactReader::new(&[ArtifactAccount {
            name: "gh".into(),
            kind: "github/file".into(),
            username: None,
            token: None,
        }]);
        let s3 = reader
            .files(&artifact(
                json!({"type": "s3/object", "reference": "s3://b/k"}),
            ))
            .await
            .expect_err("refused");
        assert!(s3.to_string().contains("not s3/object"), "{s3}");
        let no_reference = reader
            .files(&artifact(json!({"type": "http/file"})))
            .await
            .expect_err("refused");
        assert!(
            no_reference.to_string().contains("no reference"),
            "{no_reference}"
        );
        let wrong_account = reader
            .files(&artifact(json!({"type": "gitlab/file", "reference": "http://127.0.0.1:1/x", "artifactAccount": "gh"})))
            .await
            .expect_err("refused");
        assert!(
            wrong_account.to_string().contains("not gitlab/file"),
            "{wrong_account}"
        );
    }
}
