//! `git/repo` artifacts: the repository at the `reference` URL, fetched at `version` (a branch,
//! tag or commit; the remote's default branch when empty) with depth 1 into a directory that is
//! removed when the read ends, and the files under the sub-path (`metadata.subPath`, else
//! `location`; the whole repository when neither) read in path order.

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use base64::Engine;
use gennaker_core::pipelines::artifacts::Artifact;
use serde_json::Value;

use super::{ArtifactError, ArtifactFile, GIT_TIMEOUT, MAX_BYTES, MAX_FILES};
use crate::config::ArtifactAccount;

/// The sub-path the artifact names, checked to stay inside the repository.
pub(super) fn sub_path(artifact: &Artifact) -> Result<PathBuf, ArtifactError> {
    let written = artifact
        .extra
        .get("metadata")
        .and_then(|m| m.get("subPath"))
        .and_then(Value::as_str)
        .or(artifact.location.as_deref())
        .unwrap_or_default()
        .trim_matches('/');
    let path = Path::new(written);
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(ArtifactError::Invalid(format!(
            "{}: sub-path {written:?} leaves the repository; write a path inside it, such as deploy/web",
            artifact.describe()
        )));
    }
    Ok(path.to_path_buf())
}

pub(super) async fn checkout(
    artifact: &Artifact,
    url: &str,
    account: Option<&ArtifactAccount>,
) -> Result<Vec<ArtifactFile>, ArtifactError> {
    let what = artifact.describe();
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    if parsed.is_none() {
        return Err(ArtifactError::Invalid(format!(
            "{what}: {url:?} is not an http:// or https:// repository URL; Gennaker fetches git repositories over HTTP(S)"
        )));
    }
    let sub = sub_path(artifact)?;
    let version = artifact
        .version
        .as_deref()
        .filter(|v| !v.is_empty())
        .unwrap_or("HEAD")
        .to_string();
    if version.starts_with('-') {
        return Err(ArtifactError::Invalid(format!(
            "{what}: version {version:?} is not a branch, tag or commit"
        )));
    }
    let dir = tempfile::tempdir().map_err(|e| {
        ArtifactError::Unavailable(format!("{what}: no directory to check it out in: {e}"))
    })?;
    let git = Git {
        dir: dir.path().to_path_buf(),
        header: account.and_then(|a| {
            let token = a.token.as_deref()?;
            let user = a.username.as_deref().unwrap_or("git");
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
            Some(format!("Authorization: Basic {pair}"))
        }),
        what: what.clone(),
    };
    let work = async {
        git.run(&["init", "-q", "."]).await?;
        let fetched = git
            .run(&[
                "fetch",
                "-q",
                "--depth",
                "1",
                "--no-tags",
                "--",
                url,
                &version,
            ])
            .await;
        match fetched {
            Ok(()) => git.run(&["checkout", "-q", "FETCH_HEAD"]).await?,
            // A server that does not give single commits by id: fetch the branches, then
            // check the commit out.
            Err(_) if is_commit_id(&version) => {
                git.run(&[
                    "fetch",
                    "-q",
                    "--no-tags",
                    "--",
                    url,
                    "+refs/heads/*:refs/remotes/origin/*",
                ])
                .await?;
                git.run(&["checkout", "-q", &version]).await?;
            }
            Err(error) => return Err(error),
        }
        Ok::<(), ArtifactError>(())
    };
    match tokio::time::timeout(GIT_TIMEOUT, work).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(ArtifactError::Unavailable(format!(
                "{what}: fetching {url} took longer than {} s",
                GIT_TIMEOUT.as_secs()
            )));
        }
    }
    let checkout = dir.path().to_path_buf();
    let files = tokio::task::spawn_blocking(move || read_tree(&checkout, &sub, &what))
        .await
        .map_err(|e| ArtifactError::Unavailable(format!("reading the checkout failed: {e}")))??;
    drop(dir);
    Ok(files)
}

fn is_commit_id(version: &str) -> bool {
    (7..=40).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_hexdigit())
}

struct Git {
    dir: PathBuf,
    /// `http.extraHeader` with the account's credentials.
    header: Option<String>,
    what: String,
}

impl Git {
    /// Runs `git` with `args` in the checkout: no shell, no prompt, no user or system
    /// configuration, http(s) only; credentials as an environment-given header (never in
    /// the arguments a process list shows).
    async fn run(&self, args: &[&str]) -> Result<(), ArtifactError> {
        let mut command = tokio::process::Command::new("git");
        command
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ALLOW_PROTOCOL", "http:https")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        match &self.header {
            Some(header) => command
                .env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "http.extraHeader")
                .env("GIT_CONFIG_VALUE_0", header),
            None => command.env("GIT_CONFIG_COUNT", "0"),
        };
        let output = command.output().await.map_err(|e| {
            ArtifactError::Unavailable(format!("{}: git could not be run: {e}", self.what))
        })?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said: String = stderr.trim().chars().take(600).collect();
        let message = format!("{}: git {} failed: {said}", self.what, args[0]);
        let refused = [
            "couldn't find remote ref",
            "not found",
            "Authentication failed",
            "403",
            "401",
            "did not match any",
            "could not read Username",
            "terminal prompts disabled",
        ]
        .iter()
        .any(|s| stderr.contains(s));
        Err(if refused {
            ArtifactError::Refused(format!(
                "{message}; check the reference, the version (branch, tag or commit) and the artifact account"
            ))
        } else {
            ArtifactError::Unavailable(message)
        })
    }
}

/// The files at `sub` in `checkout` (one file, or every file below a directory but `.git`),
/// by path, bounded by [`MAX_FILES`] and [`MAX_BYTES`]; symbolic links are not followed.
fn read_tree(checkout: &Path, sub: &Path, what: &str) -> Result<Vec<ArtifactFile>, ArtifactError> {
    let root = &checkout.join(sub);
    let meta = std::fs::symlink_metadata(root).map_err(|_| {
        ArtifactError::Refused(format!(
            "{what}: the repository has nothing at {:?}; check the sub-path",
            sub.display().to_string()
        ))
    })?;
    // A sub-path through a symbolic link could lead out of the checkout.
    let inside = match (root.canonicalize(), checkout.canonicalize()) {
        (Ok(real), Ok(top)) => real.starts_with(top),
        _ => false,
    };
    if meta.file_type().is_symlink() || !inside {
        return Err(ArtifactError::Invalid(format!(
            "{what}: the sub-path {:?} is a symbolic link; name the directory or file it points to",
            sub.display().to_string()
        )));
    }
    let mut found: Vec<PathBuf> = Vec::new();
    if meta.is_file() {
        found.push(root.to_path_buf());
    } else {
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                ArtifactError::Unavailable(format!("{what}: reading the checkout failed: {e}"))
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() && entry.file_name() != ".git" {
                    pending.push(path);
                } else if kind.is_file() {
                    found.push(path);
                    if found.len() > MAX_FILES {
                        return Err(ArtifactError::Invalid(format!(
                            "{what} has more than {MAX_FILES} files under its sub-path; choose a sub-path with fewer"
                        )));
                    }
                }
            }
        }
    }
    found.sort();
    let mut total = 0;
    let mut files = Vec::with_capacity(found.len());
    for path in found {
        let contents = std::fs::read(&path).map_err(|e| {
            ArtifactError::Unavailable(format!("{what}: reading {} failed: {e}", path.display()))
        })?;
        total += contents.len();
        if total > MAX_BYTES {
            return Err(super::too_large_named(what));
        }
        let relative = path
            .strip_prefix(checkout)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        files.push(ArtifactFile {
            path: relative,
            contents,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sub_paths_stay_inside_the_repository() {
        let artifact = |value| serde_json::from_value::<Artifact>(value).expect("an artifact");
        let sub = sub_path(&artifact(
            json!({"type": "git/repo", "metadata": {"subPath": "/deploy/web/"}}),
        ));
        assert_eq!(sub.ok(), Some(PathBuf::from("deploy/web")));
        let outside = sub_path(&artifact(json!({"type": "git/repo", "location": "../etc"})));
        assert!(outside.is_err_and(|e| e.to_string().contains("leaves the repository")));
        assert!(is_commit_id("0a1b2c3d") && !is_commit_id("main"));
    }
}
