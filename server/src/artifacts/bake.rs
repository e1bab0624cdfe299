//! Bake (Manifest): a Helm chart or a kustomization rendered by the real tool — `helm template`
//! or `kubectl kustomize` — run as a child process (never through a shell) in a directory of its
//! own that is removed afterwards, with a time limit, its home and caches in that directory, and
//! its output bounded. The inputs are read as any artifact is (see the module above).

use std::path::{Component, Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use gennaker_core::pipelines::artifacts::Artifact;
use gennaker_core::tasks::model::{Bake, Renderer};

use super::{ArtifactError, ArtifactFile, ArtifactReader, MAX_BYTES, git};

/// How long one render may take.
pub const BAKE_TIMEOUT: Duration = Duration::from_secs(120);

/// How many lines of a failed render's errors a message quotes.
const ERROR_LINES: usize = 8;

/// A path the stage names inside a repository, checked to stay inside it.
fn inside(written: &str, what: &str) -> Result<PathBuf, ArtifactError> {
    let path = Path::new(written.trim().trim_start_matches("./").trim_matches('/'));
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(ArtifactError::Invalid(format!(
            "{what} {written:?} leaves the repository; write a path inside it, such as charts/web"
        )));
    }
    Ok(path.to_path_buf())
}

/// The directory of `path` when it names a file of `file_names` (`charts/web/Chart.yaml`),
/// else `path` itself.
fn directory_of(path: PathBuf, file_names: &[&str]) -> PathBuf {
    let names_file = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| file_names.contains(&n));
    if names_file {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path
    }
}

/// Writes a repository's files under `root`.
fn write_files(root: &Path, files: &[ArtifactFile]) -> Result<(), ArtifactError> {
    for file in files {
        let relative = inside(&file.path, "file")?;
        let target = root.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| local(&e))?;
        }
        std::fs::write(&target, &file.contents).map_err(|e| local(&e))?;
    }
    Ok(())
}

fn local(error: &std::io::Error) -> ArtifactError {
    ArtifactError::Unavailable(format!(
        "the bake's working directory could not be written: {error}"
    ))
}

/// `key=value` for `--set`, with the commas Helm would split on escaped.
fn set_argument(key: &str, value: &str) -> String {
    format!("{key}={}", value.replace(',', "\\,"))
}

impl ArtifactReader {
    /// The single file of a file artifact (a values file, a packaged chart).
    async fn one_file(&self, artifact: &Artifact, what: &str) -> Result<Vec<u8>, ArtifactError> {
        if artifact.kind.as_deref() == Some("git/repo") {
            return Err(ArtifactError::Invalid(format!(
                "{what} must be one file (embedded/base64, http/file, github/file or gitlab/file), not the repository {}",
                artifact.describe()
            )));
        }
        let mut files = self.files(artifact).await?;
        files
            .pop()
            .map(|f| f.contents)
            .ok_or_else(|| ArtifactError::Invalid(format!("{} is empty", artifact.describe())))
    }

    /// Renders `bake` into manifests (YAML).
    pub async fn bake(&self, bake: &Bake) -> Result<String, ArtifactError> {
        let work = tempfile::tempdir().map_err(|e| local(&e))?;
        let root = work.path();
        let Some(first) = bake.inputs.first() else {
            return Err(ArtifactError::Invalid(
                "the bake has no input artifact to render".into(),
            ));
        };
        let (program, arguments) = match bake.renderer {
            Renderer::Helm => {
                let chart = match first.kind.as_deref() {
                    Some("git/repo") => {
                        let files = self.files(first).await?;
                        let repository = root.join("repository");
                        write_files(&repository, &files)?;
                        let within = match &bake.path {
                            Some(path) => directory_of(
                                inside(path, "helmChartFilePath")?,
                                &["Chart.yaml", "Chart.yml"],
                            ),
                            None => git::sub_path(first)?,
                        };
                        repository.join(within)
                    }
                    Some("helm/chart") => {
                        return Err(ArtifactError::Invalid(format!(
                            "{}: charts from a Helm repository are not read yet; give the chart as a git/repo, or a packaged chart as http/file",
                            first.describe()
                        )));
                    }
                    _ => {
                        let packaged = self.one_file(first, "a packaged chart").await?;
                        let path = root.join("chart.tgz");
                        std::fs::write(&path, packaged).map_err(|e| local(&e))?;
                        path
                    }
                };
                let mut arguments: Vec<String> = vec![
                    "template".into(),
                    bake.output_name.clone(),
                    chart.to_string_lossy().into_owned(),
                ];
                if let Some(namespace) = &bake.namespace {
                    arguments.extend(["--namespace".into(), namespace.clone()]);
                }
                if bake.include_crds {
                    arguments.push("--include-crds".into());
                }
                for (i, values) in bake.inputs.iter().skip(1).enumerate() {
                    let contents = self.one_file(values, "a values file").await?;
                    let path = root.join(format!("values-{i}.yaml"));
                    std::fs::write(&path, contents).map_err(|e| local(&e))?;
                    arguments.extend(["--values".into(), path.to_string_lossy().into_owned()]);
                }
                let flag = if bake.raw_overrides {
                    "--set"
                } else {
                    "--set-string"
                };
                for (key, value) in &bake.overrides {
                    arguments.extend([flag.to_string(), set_argument(key, value)]);
                }
                (self.renderers.helm.clone(), arguments)
            }
            Renderer::Kustomize => {
                if first.kind.as_deref() != Some("git/repo") {
                    return Err(ArtifactError::Invalid(format!(
                        "kustomize renders a repository (git/repo), not {}",
                        first.describe()
                    )));
                }
                let files = self.files(first).await?;
                let repository = root.join("repository");
                write_files(&repository, &files)?;
                let path = bake.path.as_deref().unwrap_or_default();
                let within = directory_of(
                    inside(path, "kustomizeFilePath")?,
                    &["kustomization.yaml", "kustomization.yml", "Kustomization"],
                );
                let arguments = vec![
                    "kustomize".into(),
                    repository.join(within).to_string_lossy().into_owned(),
                ];
                (self.renderers.kubectl.clone(), arguments)
            }
        };
        run(&program, &arguments, root, bake.renderer).await
    }
}

/// Runs the renderer and gives what it wrote.
async fn run(
    program: &Path,
    arguments: &[String],
    home: &Path,
    renderer: Renderer,
) -> Result<String, ArtifactError> {
    let tool = renderer.label();
    let mut command = tokio::process::Command::new(program);
    command
        .args(arguments)
        .current_dir(home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|e| {
        ArtifactError::Invalid(format!(
            "{tool} could not be run ({}): {e}; install it, or name it in the server's [bake] configuration",
            program.display()
        ))
    })?;
    let output = tokio::time::timeout(BAKE_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| {
            ArtifactError::Refused(format!(
                "{tool} did not finish rendering within {} s",
                BAKE_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| ArtifactError::Unavailable(format!("{tool} could not be waited for: {e}")))?;
    if !output.status.success() {
        let errors = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = errors
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(ERROR_LINES)
            .collect();
        return Err(ArtifactError::Refused(format!(
            "{tool} could not render ({}): {}",
            output.status,
            lines.join(" / ")
        )));
    }
    if output.stdout.len() > MAX_BYTES {
        return Err(ArtifactError::Refused(format!(
            "{tool} rendered more than {} MiB",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(output.stdout)
        .map_err(|_| ArtifactError::Refused(format!("{tool} rendered something that is not text")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_and_name_their_directory() {
        assert_eq!(
            directory_of(
                inside("charts/web/Chart.yaml", "x").unwrap(),
                &["Chart.yaml"]
            ),
            PathBuf::from("charts/web")
        );
        assert_eq!(
            directory_of(inside("./charts/web/", "x").unwrap(), &["Chart.yaml"]),
            PathBuf::from("charts/web")
        );
        assert!(inside("../etc", "helmChartFilePath").is_err());
        assert!(inside("a/../../b", "x").is_err());
        assert_eq!(set_argument("list", "a,b"), "list=a\\,b");
    }
}
