//! Git triggers: push webhooks of GitHub, GitLab and Bitbucket (Cloud and Server) at
//! `POST /webhooks/git/{github|gitlab|bitbucket}`. Every call is checked against the secret of
//! each trigger it could start — GitHub's and Bitbucket's HMAC-SHA256 signature of the body,
//! GitLab's token — and starts the triggers whose project, repository and branch pattern match.
//! The execution's trigger has Spinnaker's `source`, `project`, `slug`, `branch` and `hash`,
//! and the `artifacts` of the files the push added or changed (GitHub and GitLab).

use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::triggers::{GitSource, GitTrigger, TriggerSettings};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::webhook::{Outcome, Refused, same_secret};
use super::{Event, Triggers, Watched, full_match};

/// A push, as the host described it.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub project: String,
    pub slug: String,
    pub branch: String,
    pub hash: String,
}

/// What a call is.
#[derive(Debug, PartialEq)]
pub enum Delivery {
    Push(Push),
    /// A ping, a tag, a deleted branch or another event: answered, nothing started.
    Other(String),
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Reads a delivery of `source`; `event` is its event header (`X-GitHub-Event`,
/// `X-Gitlab-Event`, `X-Event-Key`).
pub fn read(source: GitSource, event: &str, body: &Value) -> Result<Delivery, String> {
    let missing = |what: &str| format!("the push has no {what}");
    let push = match source {
        GitSource::Github => {
            if event != "push" {
                return Ok(Delivery::Other(format!(
                    "GitHub event {event:?} starts nothing"
                )));
            }
            if body.get("deleted").and_then(Value::as_bool) == Some(true) {
                return Ok(Delivery::Other("a deleted branch starts nothing".into()));
            }
            let owner = Some(text(body, "/repository/owner/login"))
                .filter(|o| !o.is_empty())
                .unwrap_or_else(|| text(body, "/repository/owner/name"));
            Push {
                project: owner,
                slug: text(body, "/repository/name"),
                branch: text(body, "/ref"),
                hash: text(body, "/after"),
            }
        }
        GitSource::Gitlab => {
            if event != "Push Hook" {
                return Ok(Delivery::Other(format!(
                    "GitLab event {event:?} starts nothing"
                )));
            }
            let path = text(body, "/project/path_with_namespace");
            let (project, slug) = path
                .rsplit_once('/')
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .unwrap_or_else(|| {
                    (
                        text(body, "/project/namespace"),
                        text(body, "/project/name"),
                    )
                });
            let hash = Some(text(body, "/checkout_sha"))
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| text(body, "/after"));
            Push {
                project,
                slug,
                branch: text(body, "/ref"),
                hash,
            }
        }
        GitSource::Bitbucket => match event {
            "repo:push" => {
                let change = body
                    .pointer("/push/changes/0/new")
                    .filter(|n| !n.is_null())
                    .ok_or_else(|| missing("new branch (push.changes[0].new)"))?;
                if change.get("type").and_then(Value::as_str) != Some("branch") {
                    return Ok(Delivery::Other("only branch pushes start pipelines".into()));
                }
                let full = text(body, "/repository/full_name");
                let (project, slug) = full.split_once('/').unwrap_or(("", full.as_str()));
                Push {
                    project: project.to_string(),
                    slug: slug.to_string(),
                    branch: text(change, "/name"),
                    hash: text(change, "/target/hash"),
                }
            }
            "repo:refs_changed" => Push {
                project: text(body, "/repository/project/key"),
                slug: text(body, "/repository/slug"),
                branch: text(body, "/changes/0/ref/displayId"),
                hash: text(body, "/changes/0/toHash"),
            },
            "diagnostics:ping" => return Ok(Delivery::Other("pong".into())),
            other => {
                return Ok(Delivery::Other(format!(
                    "Bitbucket event {other:?} starts nothing"
                )));
            }
        },
    };
    let branch = push
        .branch
        .strip_prefix("refs/heads/")
        .unwrap_or(&push.branch)
        .to_string();
    if push.branch.starts_with("refs/tags/") {
        return Ok(Delivery::Other("a tag push starts nothing".into()));
    }
    for (value, what) in [
        (&push.project, "project (owner or group)"),
        (&push.slug, "repository name"),
        (&branch, "branch"),
    ] {
        if value.is_empty() {
            return Err(missing(what));
        }
    }
    Ok(Delivery::Push(Push { branch, ..push }))
}

/// The most files of one push that become artifacts (a start takes at most 200).
const MOST_ARTIFACTS: usize = 200;

/// A path a push names that is safe to put in an API URL: relative, no `.` or `..` segment,
/// no empty segment, no backslash or control character.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// `owner/repo` as GitHub writes a repository's full name.
fn owner_and_repository(name: &str) -> bool {
    let mut parts = name.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// The files a push added or changed, sorted, at most [`MOST_ARTIFACTS`].
fn changed_files(body: &Value) -> Vec<String> {
    let mut files: Vec<String> = body
        .get("commits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            ["added", "modified"].into_iter().flat_map(move |key| {
                c.get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
            })
        })
        .filter(|f| safe_path(f))
        .map(str::to_string)
        .collect();
    files.sort();
    files.dedup();
    files.truncate(MOST_ARTIFACTS);
    files
}

/// The artifacts a push brings, as Spinnaker's Echo makes them: a `github/file` or
/// `gitlab/file` for each file the push's commits added or changed, at the pushed commit. The
/// body is checked against the trigger's secret before they are used, and only the URL shapes
/// the hosts write are taken, as these URLs are read later.
pub fn artifacts(source: GitSource, body: &Value, hash: &str) -> Vec<Value> {
    let files = changed_files(body);
    match source {
        GitSource::Github => {
            let full_name = text(body, "/repository/full_name");
            let contents = text(body, "/repository/contents_url");
            let suffix = format!("/repos/{full_name}/contents/{{+path}}");
            let base = contents
                .to_ascii_lowercase()
                .strip_suffix(&suffix.to_ascii_lowercase())
                .map(|_| &contents[..contents.len() - suffix.len()]);
            let Some(base) = base.filter(|b| plain_http(b) && owner_and_repository(&full_name))
            else {
                return Vec::new();
            };
            files
                .into_iter()
                .map(|f| {
                    let encoded: Vec<String> =
                        f.split('/').map(|s| urlencoding::encode(s).into_owned()).collect();
                    json!({"type": "github/file", "name": f, "version": hash,
                        "reference": format!("{base}/repos/{full_name}/contents/{}", encoded.join("/"))})
                })
                .collect()
        }
        GitSource::Gitlab => {
            let path = text(body, "/project/path_with_namespace");
            let homepage = text(body, "/project/homepage");
            let Some(base) = homepage
                .strip_suffix(&format!("/{path}"))
                .filter(|b| plain_http(b) && !path.is_empty())
            else {
                return Vec::new();
            };
            let api = format!(
                "{base}/api/v4/projects/{}/repository/files",
                urlencoding::encode(&path)
            );
            files
                .into_iter()
                .map(|f| {
                    json!({"type": "gitlab/file", "name": f, "version": hash,
                        "reference": format!("{api}/{}/raw", urlencoding::encode(&f))})
                })
                .collect()
        }
        GitSource::Bitbucket => Vec::new(),
    }
}

/// `http(s)://host[:port][/path]` without credentials, a query or a fragment.
fn plain_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none()
    })
}

/// Whether the call carries `secret`'s proof: GitHub's `X-Hub-Signature-256` and Bitbucket's
/// `X-Hub-Signature` (`sha256=<hex HMAC of the body>`), GitLab's `X-Gitlab-Token`.
pub fn verified(source: GitSource, proof: Option<&str>, secret: &str, body: &[u8]) -> bool {
    let Some(proof) = proof else { return false };
    match source {
        GitSource::Gitlab => same_secret(proof.as_bytes(), secret.as_bytes()),
        GitSource::Github | GitSource::Bitbucket => {
            let Some(hex_signature) = proof.strip_prefix("sha256=") else {
                return false;
            };
            let Ok(signature) = hex::decode(hex_signature) else {
                return false;
            };
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
                return false;
            };
            mac.update(body);
            mac.verify_slice(&signature).is_ok()
        }
    }
}

/// The header each host names its event in, and the one carrying its proof.
pub fn headers(source: GitSource) -> (&'static str, &'static str) {
    match source {
        GitSource::Github => ("x-github-event", "x-hub-signature-256"),
        GitSource::Gitlab => ("x-gitlab-event", "x-gitlab-token"),
        GitSource::Bitbucket => ("x-event-key", "x-hub-signature"),
    }
}

fn watches(git: &GitTrigger, source: GitSource, push: &Push) -> bool {
    git.source == source
        && git.project.eq_ignore_ascii_case(&push.project)
        && git.slug.eq_ignore_ascii_case(&push.slug)
}

/// Handles one delivery.
pub async fn receive(
    triggers: &Triggers,
    source: GitSource,
    event: &str,
    proof: Option<&str>,
    body: &[u8],
) -> Result<Outcome, Refused> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refused::BadBody(format!("The body is not JSON: {e}")))?;
    let push = match read(source, event, &value).map_err(|e| Refused::BadBody(format!("{e}.")))? {
        Delivery::Push(push) => push,
        Delivery::Other(why) => {
            tracing::debug!(source = source.as_str(), "git delivery ignored: {why}");
            return Ok(Outcome {
                event_processed: true,
                ..Outcome::default()
            });
        }
    };
    let candidates: Vec<(Watched, GitTrigger)> = triggers
        .index
        .of(|s| match s {
            TriggerSettings::Git(g) => Some(g),
            _ => None,
        })
        .into_iter()
        .filter(|(_, g)| watches(g, source, &push))
        .collect();
    if candidates.is_empty() {
        return Err(Refused::Unknown(format!(
            "No enabled {} trigger watches {}/{}.",
            source.label(),
            push.project,
            push.slug
        )));
    }
    let mut outcome = Outcome {
        event_processed: true,
        ..Outcome::default()
    };
    let mut proven = 0;
    for (watched, git) in &candidates {
        let Some(secret) = triggers.secrets.get(&git.secret_name) else {
            outcome.skip(
                watched,
                format!(
                    "its secret {:?} is not in the server's configuration",
                    git.secret_name
                ),
            );
            continue;
        };
        if !verified(source, proof, secret, body) {
            outcome.skip(watched, "the signature does not match its secret");
            continue;
        }
        proven += 1;
        if !git.branch.is_empty() {
            match full_match(&git.branch) {
                Ok(re) if re.is_match(&push.branch) => {}
                Ok(_) => {
                    outcome.skip(
                        watched,
                        format!("branch {} does not match {:?}", push.branch, git.branch),
                    );
                    continue;
                }
                Err(error) => {
                    outcome.skip(watched, error);
                    continue;
                }
            }
        }
        let mut fields = Map::new();
        fields.insert("source".into(), json!(source.as_str()));
        fields.insert("project".into(), json!(push.project));
        fields.insert("slug".into(), json!(push.slug));
        fields.insert("branch".into(), json!(push.branch));
        fields.insert("hash".into(), json!(push.hash));
        fields.insert("action".into(), json!("push"));
        fields.insert(
            "artifacts".into(),
            Value::Array(artifacts(source, &value, &push.hash)),
        );
        let event = Event {
            fields,
            parameters: Map::new(),
            id: ExecutionId::new(),
        };
        outcome.start(triggers, watched, event).await;
    }
    if proven == 0 {
        tracing::warn!(
            source = source.as_str(),
            project = %push.project,
            slug = %push.slug,
            "a git push was refused: its signature matches no trigger's secret"
        );
        return Err(Refused::Unauthorized(format!(
            "The {} signature of this push matches the secret of no trigger watching {}/{}: check the webhook's secret.",
            source.label(),
            push.project,
            push.slug
        )));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn github_pushes_are_read_and_signatures_checked() {
        let body = json!({"ref": "refs/heads/main", "after": "abc123",
            "repository": {"name": "web", "owner": {"login": "acme"}}});
        let push = read(GitSource::Github, "push", &body).expect("a push");
        assert_eq!(
            push,
            Delivery::Push(Push {
                project: "acme".into(),
                slug: "web".into(),
                branch: "main".into(),
                hash: "abc123".into()
            })
        );
        let bytes = body.to_string().into_bytes();
        let signature = sign("s3cret", &bytes);
        assert!(verified(
            GitSource::Github,
            Some(&signature),
            "s3cret",
            &bytes
        ));
        assert!(!verified(
            GitSource::Github,
            Some(&signature),
            "other",
            &bytes
        ));
        assert!(!verified(GitSource::Github, None, "s3cret", &bytes));
        assert!(matches!(
            read(GitSource::Github, "ping", &body),
            Ok(Delivery::Other(_))
        ));
    }

    #[test]
    fn pushes_bring_the_files_they_changed_as_artifacts() {
        let github = json!({"after": "abc123", "repository": {"full_name": "acme/web",
            "contents_url": "https://api.github.com/repos/acme/web/contents/{+path}"},
            "commits": [{"added": ["k8s/web deploy.yaml"], "modified": ["README.md"]},
                {"added": ["../etc/passwd", "/abs", "a//b"], "modified": ["README.md"]}]});
        let found = artifacts(GitSource::Github, &github, "abc123");
        assert_eq!(
            found,
            vec![
                json!({"type": "github/file", "name": "README.md", "version": "abc123",
                    "reference": "https://api.github.com/repos/acme/web/contents/README.md"}),
                json!({"type": "github/file", "name": "k8s/web deploy.yaml", "version": "abc123",
                    "reference": "https://api.github.com/repos/acme/web/contents/k8s/web%20deploy.yaml"}),
            ],
            "unsafe paths are left out, each file once"
        );
        let mut forged = github.clone();
        forged["repository"]["contents_url"] = json!("https://evil.example/x?{+path}");
        assert_eq!(
            artifacts(GitSource::Github, &forged, "abc123"),
            Vec::<Value>::new()
        );

        let gitlab = json!({"project": {"path_with_namespace": "group/web",
            "homepage": "https://gitlab.example.com/group/web"},
            "commits": [{"added": ["deploy/web.yaml"], "modified": []}]});
        assert_eq!(
            artifacts(GitSource::Gitlab, &gitlab, "f00"),
            vec![
                json!({"type": "gitlab/file", "name": "deploy/web.yaml", "version": "f00",
                "reference": "https://gitlab.example.com/api/v4/projects/group%2Fweb/repository/files/deploy%2Fweb.yaml/raw"})
            ]
        );
        let many: Vec<String> = (0..300).map(|i| format!("f{i:03}")).collect();
        let big = json!({"repository": github["repository"].clone(), "commits": [{"added": many}]});
        assert_eq!(artifacts(GitSource::Github, &big, "x").len(), 200);
    }

    #[test]
    fn gitlab_and_bitbucket_pushes_are_read() {
        let gitlab = json!({"ref": "refs/heads/dev", "checkout_sha": "f00",
            "project": {"path_with_namespace": "group/sub/web"}});
        assert_eq!(
            read(GitSource::Gitlab, "Push Hook", &gitlab),
            Ok(Delivery::Push(Push {
                project: "group/sub".into(),
                slug: "web".into(),
                branch: "dev".into(),
                hash: "f00".into()
            }))
        );
        assert!(verified(GitSource::Gitlab, Some("tok"), "tok", b"{}"));
        let cloud = json!({"repository": {"full_name": "ws/web"},
            "push": {"changes": [{"new": {"type": "branch", "name": "main", "target": {"hash": "b0b"}}}]}});
        assert_eq!(
            read(GitSource::Bitbucket, "repo:push", &cloud),
            Ok(Delivery::Push(Push {
                project: "ws".into(),
                slug: "web".into(),
                branch: "main".into(),
                hash: "b0b".into()
            }))
        );
        let server = json!({"repository": {"slug": "web", "project": {"key": "ACME"}},
            "changes": [{"ref": {"displayId": "main"}, "toHash": "c0c"}]});
        assert!(matches!(
            read(GitSource::Bitbucket, "repo:refs_changed", &server),
            Ok(Delivery::Push(Push { ref project, .. })) if project == "ACME"
        ));
        assert_eq!(
            read(
                GitSource::Github,
                "push",
                &json!({"ref": "refs/heads/main"})
            ),
            Err("the push has no project (owner or group)".to_string())
        );
    }
}
