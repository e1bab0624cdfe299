//! Docker Registry triggers. Every repository a trigger watches is listed every poll interval
//! (30 s by default), each tag with the digest of its manifest; a registry's push
//! notification (docker-registry's `notifications.endpoints`) checks the pushed tag at once.
//! A new tag, or a tag whose digest changed, starts every matching trigger's pipeline once.
//!
//! What was seen is stored per repository (`triggers/docker/<account>/<repository>.json`), so
//! a restart never starts anything again, and the first scan of a repository only records.
//! A found push is stored as pending, with the time it was found, before any execution
//! starts; the executions' ids derive from it, so a crash in between replays the same ids
//! and starts nothing twice.

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::StreamExt;
use gennaker_app::error::AppError;
use gennaker_app::services::Registries;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::triggers::{DockerTrigger, TriggerSettings};
use gennaker_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Event, Triggers, Watched};

/// What has been seen of one repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Seen {
    /// Every tag ever seen, with the digest it last had (tags are never forgotten, as in
    /// Spinnaker: a deleted tag pushed again with its old digest starts nothing).
    tags: BTreeMap<String, String>,
    /// Pushes found whose executions may not all have started yet.
    #[serde(default)]
    pending: Vec<Push>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Push {
    tag: String,
    digest: String,
    /// When it was found (milliseconds): part of the executions' ids.
    found_at: i64,
}

pub use gennaker_core::pipelines::triggers::WatchedRepository as RepositoryStatus;

#[derive(Default)]
pub struct DockerWatch {
    status: Mutex<BTreeMap<(String, String), RepositoryStatus>>,
}

impl DockerWatch {
    /// The repositories watched now and how their last look went.
    pub fn statuses(&self) -> Vec<RepositoryStatus> {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn note(&self, account: &str, repository: &str, tags: usize, error: Option<String>) {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (account.to_string(), repository.to_string()),
                RepositoryStatus {
                    account: account.to_string(),
                    repository: repository.to_string(),
                    checked_at: Timestamp::now(),
                    tags,
                    error,
                },
            );
    }
}

/// Where what was seen of a repository is kept; names are hex-encoded, since the store's keys
/// allow fewer characters than account and repository names.
fn key(account: &str, repository: &str) -> String {
    format!(
        "triggers/docker/{}/{}.json",
        hex::encode(account),
        hex::encode(repository)
    )
}

/// Whether `tag` starts `trigger`: its pattern matches the whole tag; no pattern matches any
/// tag but `latest`. An invalid pattern matches nothing (saving refuses one).
pub fn tag_matches(trigger: &DockerTrigger, tag: &str) -> bool {
    gennaker_core::pipelines::triggers::docker_tag_matches(&trigger.tag, tag)
}

fn docker_triggers(triggers: &Triggers) -> Vec<(Watched, DockerTrigger)> {
    triggers.index.of(|s| match s {
        TriggerSettings::Docker(d) => Some(d),
        _ => None,
    })
}

/// Lists every watched repository every poll interval, and at once when triggers change.
pub fn watch(triggers: &std::sync::Arc<Triggers>) {
    super::every(
        triggers,
        tracing::info_span!("docker-triggers"),
        triggers.settings.docker_poll_interval,
        |triggers| {
            docker_triggers(triggers)
                .into_iter()
                .map(|(_, d)| (d.account, d.repository))
                .collect()
        },
        |triggers, account, repository| Box::pin(scan(triggers, account, repository)),
    );
}

/// Lists `repository`'s tags with their digests and starts what a new or changed one starts.
pub async fn scan(triggers: &Triggers, account: &str, repository: &str) -> Result<(), AppError> {
    let _guard = triggers
        .locks
        .lock(&("docker", account.to_string(), repository.to_string()))
        .await;
    let result = match list(triggers, account, repository).await {
        Ok(listed) => record(triggers, account, repository, listed, true).await,
        Err(error) => Err(error),
    };
    if let Err(error) = &result {
        let seen = load(triggers, account, repository).await.ok().flatten();
        triggers.docker.note(
            account,
            repository,
            seen.map_or(0, |s| s.tags.len()),
            Some(error.to_string()),
        );
    }
    result
}

/// A registry said `repository:tag` was pushed: checks it with the registry (the notification
/// itself is not trusted) and starts what it starts.
pub async fn pushed(
    triggers: &Triggers,
    account: &str,
    repository: &str,
    tag: &str,
) -> Result<(), AppError> {
    let watched = docker_triggers(triggers)
        .iter()
        .any(|(_, d)| d.account == account && d.repository == repository);
    if !watched {
        return Ok(());
    }
    let lock = ("docker", account.to_string(), repository.to_string());
    {
        let _guard = triggers.locks.lock(&lock).await;
        if load(triggers, account, repository).await?.is_none() {
            // Never scanned: the first scan records everything, this tag included.
            let listed = list(triggers, account, repository).await?;
            return record(triggers, account, repository, listed, true).await;
        }
    }
    let Some(digest) = digest_once_readable(triggers, account, repository, tag).await? else {
        tracing::info!(%account, %repository, %tag, "the pushed tag is not readable yet; the next poll will see it");
        return Ok(());
    };
    let _guard = triggers.locks.lock(&lock).await;
    record(
        triggers,
        account,
        repository,
        vec![(tag.to_string(), digest)],
        false,
    )
    .await
}

/// The pauses before reading a notified tag again: a registry notifies while the push is
/// still finishing, so its manifest can be missing for a few milliseconds (about 5 s in all,
/// then the tag is left to the next poll).
const NOT_YET_READABLE: [u64; 6] = [50, 100, 250, 500, 1500, 2500];

/// The digest of `tag`, read again with growing pauses while the registry does not have it
/// yet.
async fn digest_once_readable(
    triggers: &Triggers,
    account: &str,
    repository: &str,
    tag: &str,
) -> Result<Option<String>, AppError> {
    for pause in NOT_YET_READABLE {
        if let Some(digest) = triggers.registries.digest(account, repository, tag).await? {
            return Ok(Some(digest));
        }
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
    }
    triggers.registries.digest(account, repository, tag).await
}

/// Every tag of `repository` with its digest.
async fn list(
    triggers: &Triggers,
    account: &str,
    repository: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let tags = triggers.registries.tags(account, repository).await?;
    let digests: Vec<Result<Option<(String, String)>, AppError>> =
        futures::stream::iter(tags.into_iter().map(|tag| async move {
            let digest = triggers
                .registries
                .digest(account, repository, &tag)
                .await?;
            Ok(digest.map(|d| (tag, d)))
        }))
        .buffer_unordered(4)
        .collect()
        .await;
    let mut listed = Vec::new();
    for digest in digests {
        listed.extend(digest?);
    }
    Ok(listed)
}

async fn load(
    triggers: &Triggers,
    account: &str,
    repository: &str,
) -> Result<Option<Seen>, AppError> {
    super::load_state(&triggers.store, &key(account, repository)).await
}

async fn save(
    triggers: &Triggers,
    account: &str,
    repository: &str,
    seen: &Seen,
) -> Result<(), AppError> {
    super::save_state(&triggers.store, &key(account, repository), seen).await
}

/// Records `found` tags (all of them when `complete`), stores the pushes they are, then starts
/// their executions. Called under the repository's lock.
async fn record(
    triggers: &Triggers,
    account: &str,
    repository: &str,
    found: Vec<(String, String)>,
    complete: bool,
) -> Result<(), AppError> {
    let stored = load(triggers, account, repository).await?;
    let first = stored.is_none();
    let mut seen = stored.unwrap_or_default();
    let now = Timestamp::now().as_millis();
    let mut changed = first;
    for (tag, digest) in found {
        if seen.tags.get(&tag) == Some(&digest) {
            continue;
        }
        if !first {
            tracing::info!(%account, %repository, %tag, %digest, "a new image was pushed");
            seen.pending.push(Push {
                tag: tag.clone(),
                digest: digest.clone(),
                found_at: now,
            });
        }
        seen.tags.insert(tag, digest);
        changed = true;
    }
    if changed {
        save(triggers, account, repository, &seen).await?;
    }
    if first && complete {
        tracing::info!(%account, %repository, tags = seen.tags.len(), "first scan: tags recorded, nothing started");
    }
    if !seen.pending.is_empty() {
        let mut left = Vec::new();
        for push in std::mem::take(&mut seen.pending) {
            if !deliver(triggers, account, repository, &push).await {
                left.push(push);
            }
        }
        seen.pending = left;
        save(triggers, account, repository, &seen).await?;
    }
    triggers
        .docker
        .note(account, repository, seen.tags.len(), None);
    Ok(())
}

/// Starts every matching trigger's pipeline for `push`; false when one should be tried again.
async fn deliver(triggers: &Triggers, account: &str, repository: &str, push: &Push) -> bool {
    let registry = triggers
        .registries
        .address(account)
        .unwrap_or_default()
        .to_string();
    let mut done = true;
    for (watched, docker) in docker_triggers(triggers) {
        if docker.account != account
            || docker.repository != repository
            || !tag_matches(&docker, &push.tag)
        {
            continue;
        }
        let id = ExecutionId::derived(
            Timestamp::from_millis(push.found_at),
            &format!(
                "docker/{}/{}/{account}/{repository}/{}/{}",
                watched.pipeline_id, watched.key, push.tag, push.digest
            ),
        );
        let event = Event {
            fields: fields(account, &registry, repository, &push.tag, &push.digest),
            parameters: Map::new(),
            id,
        };
        let what = format!("a push of {repository}:{}", push.tag);
        done &= triggers.fire_or_keep(&watched, event, &what).await;
    }
    done
}

/// Spinnaker's fields of a Docker trigger's event, with the digest and the image artifact.
fn fields(
    account: &str,
    registry: &str,
    repository: &str,
    tag: &str,
    digest: &str,
) -> Map<String, Value> {
    let name = format!("{registry}/{repository}");
    let mut fields = Map::new();
    fields.insert("account".into(), json!(account));
    fields.insert("registry".into(), json!(registry));
    fields.insert("repository".into(), json!(repository));
    fields.insert("tag".into(), json!(tag));
    fields.insert("digest".into(), json!(digest));
    fields.insert(
        "artifacts".into(),
        json!([{
            "type": "docker/image",
            "name": name,
            "version": tag,
            "reference": format!("{name}:{tag}"),
            "metadata": {"registry": registry, "digest": digest},
        }]),
    );
    fields
}

/// The newest tag of `docker`'s repository it would start on, as a trigger's fields (for a
/// manual start), or `None` when there is none.
pub async fn newest(
    triggers: &Triggers,
    docker: &DockerTrigger,
) -> Result<Option<Map<String, Value>>, AppError> {
    let tags = triggers
        .registries
        .tags(&docker.account, &docker.repository)
        .await?;
    let Ok(pattern) = gennaker_core::pipelines::triggers::DockerTagPattern::new(&docker.tag) else {
        return Ok(None);
    };
    let Some(tag) = tags.into_iter().find(|t| pattern.matches(t)) else {
        return Ok(None);
    };
    let Some(digest) = triggers
        .registries
        .digest(&docker.account, &docker.repository, &tag)
        .await?
    else {
        return Ok(None);
    };
    let registry = triggers
        .registries
        .address(&docker.account)
        .unwrap_or_default();
    Ok(Some(fields(
        &docker.account,
        registry,
        &docker.repository,
        &tag,
        &digest,
    )))
}

/// The tags pushed according to a docker-registry notification envelope
/// (`{"events": [{"action": "push", "target": {"repository", "tag", ...}}]}`): manifest pushes
/// with a tag; blob pushes and pulls are left out.
pub fn pushes_in(envelope: &Value) -> Result<Vec<(String, String)>, String> {
    let events = envelope
        .get("events")
        .and_then(Value::as_array)
        .ok_or("the body is not a registry notification: it has no \"events\" list")?;
    let mut pushes = Vec::new();
    for event in events {
        if event.get("action").and_then(Value::as_str) != Some("push") {
            continue;
        }
        let target = &event["target"];
        let (Some(repository), Some(tag)) = (
            target.get("repository").and_then(Value::as_str),
            target.get("tag").and_then(Value::as_str),
        ) else {
            continue;
        };
        let pair = (repository.to_string(), tag.to_string());
        if !tag.is_empty() && !pushes.contains(&pair) {
            pushes.push(pair);
        }
    }
    Ok(pushes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(tag: &str) -> DockerTrigger {
        DockerTrigger {
            account: "company".into(),
            repository: "team/web".into(),
            tag: tag.into(),
        }
    }

    #[test]
    fn no_pattern_is_any_tag_but_latest() {
        assert!(tag_matches(&trigger(""), "v1"));
        assert!(!tag_matches(&trigger(""), "latest"));
    }

    #[test]
    fn a_pattern_matches_the_whole_tag_as_java_does() {
        assert!(tag_matches(&trigger("v.*"), "v1.2"));
        assert!(!tag_matches(&trigger("v1"), "v10"));
        assert!(!tag_matches(&trigger("1"), "v1"));
        assert!(tag_matches(&trigger("latest"), "latest"));
        assert!(!tag_matches(&trigger("(unclosed"), "(unclosed"));
    }

    #[test]
    fn notifications_name_tagged_manifest_pushes_once() {
        let envelope = json!({"events": [
            {"action": "push", "target": {"mediaType": "application/octet-stream", "repository": "team/web", "digest": "sha256:1"}},
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "team/web", "tag": "v2"}},
            {"action": "push", "target": {"repository": "team/web", "tag": "v2"}},
            {"action": "pull", "target": {"repository": "team/web", "tag": "v1"}}
        ]});
        assert_eq!(
            pushes_in(&envelope),
            Ok(vec![("team/web".to_string(), "v2".to_string())])
        );
        assert!(pushes_in(&json!({"hello": 1})).is_err());
    }
}
