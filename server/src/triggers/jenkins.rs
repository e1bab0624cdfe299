//! Jenkins triggers: every job a trigger watches is looked at every poll interval (60 s by
//! default, as Spinnaker's igor); each build that completed since the last look, with a result
//! the trigger chose, starts its pipeline with Spinnaker's `buildInfo` (and the build's
//! property file as `trigger.properties`). The first look records the newest build and starts
//! nothing; the last build looked at is stored per job, and executions' ids derive from the
//! build, so a restart or a second look never starts a build's pipeline twice.

use gennaker_app::error::AppError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::triggers::{JenkinsTrigger, TriggerSettings};
use gennaker_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Event, Triggers, Watched};
use crate::jenkins::Build;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Looked {
    /// Every build up to this number has been dealt with.
    last_build: u64,
}

fn key(master: &str, job: &str) -> String {
    format!(
        "triggers/jenkins/{}/{}.json",
        hex::encode(master),
        hex::encode(job)
    )
}

fn jenkins_triggers(triggers: &Triggers) -> Vec<(Watched, JenkinsTrigger)> {
    triggers.index.of(|s| match s {
        TriggerSettings::Jenkins(j) => Some(j),
        _ => None,
    })
}

/// Looks at every watched job every poll interval, and at once when triggers change.
pub fn watch(triggers: &std::sync::Arc<Triggers>) {
    super::every(
        triggers,
        tracing::info_span!("jenkins-triggers"),
        triggers.settings.jenkins_poll_interval,
        |triggers| {
            jenkins_triggers(triggers)
                .into_iter()
                .map(|(_, j)| (j.master, j.job))
                .collect()
        },
        |triggers, master, job| Box::pin(scan(triggers, master, job)),
    );
}

async fn load(triggers: &Triggers, master: &str, job: &str) -> Result<Option<Looked>, AppError> {
    super::load_state(&triggers.store, &key(master, job)).await
}

async fn save(
    triggers: &Triggers,
    master: &str,
    job: &str,
    last_build: u64,
) -> Result<(), AppError> {
    super::save_state(&triggers.store, &key(master, job), &Looked { last_build }).await
}

/// Starts what the builds of `job` finished since the last look start.
pub async fn scan(triggers: &Triggers, master: &str, job: &str) -> Result<(), AppError> {
    let _guard = triggers
        .locks
        .lock(&("jenkins", master.to_string(), job.to_string()))
        .await;
    let mut builds = triggers
        .jenkins
        .recent_builds(master, job)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    builds.sort_by_key(|b| b.number);
    let newest = builds.last().map_or(0, |b| b.number);
    let Some(looked) = load(triggers, master, job).await? else {
        // Finished builds are recorded; one still running will start the pipeline when done.
        let finished = builds
            .iter()
            .find(|b| b.building)
            .map_or(newest, |b| b.number.saturating_sub(1));
        tracing::info!(%master, %job, finished, "first look: builds recorded, nothing started");
        return save(triggers, master, job, finished).await;
    };
    // Everything below the oldest build still running is done with; builds above it that
    // finished are started now and again next time, which finds their executions.
    let mut done_up_to = newest;
    for build in builds.iter().filter(|b| b.number > looked.last_build) {
        if build.building {
            done_up_to = done_up_to.min(build.number.saturating_sub(1));
            continue;
        }
        if !deliver(triggers, master, job, build).await {
            done_up_to = done_up_to.min(build.number.saturating_sub(1));
        }
    }
    if done_up_to > looked.last_build {
        save(triggers, master, job, done_up_to).await?;
    }
    Ok(())
}

/// Starts every matching trigger for `build`; false when one should be tried again.
async fn deliver(triggers: &Triggers, master: &str, job: &str, build: &Build) -> bool {
    let result = build.result.clone().unwrap_or_default();
    let mut done = true;
    for (watched, jenkins) in jenkins_triggers(triggers) {
        if jenkins.master != master || jenkins.job != job || !jenkins.results.contains(&result) {
            continue;
        }
        let mut fields = Map::new();
        fields.insert("master".into(), json!(master));
        fields.insert("job".into(), json!(job));
        fields.insert("buildNumber".into(), json!(build.number));
        fields.insert(
            "buildInfo".into(),
            json!({
                "name": job,
                "number": build.number,
                "url": build.url,
                "result": result,
                "building": false,
                "artifacts": build.raw.get("artifacts").cloned().unwrap_or(Value::Array(Vec::new())),
                "timestamp": build.raw.get("timestamp").cloned().unwrap_or(Value::Null),
                "duration": build.raw.get("duration").cloned().unwrap_or(Value::Null),
            }),
        );
        if !jenkins.property_file.is_empty() {
            match properties(triggers, master, job, build, &jenkins.property_file).await {
                Ok(properties) => {
                    fields.insert("properties".into(), Value::Object(properties));
                }
                Err(error) => {
                    tracing::warn!(pipeline = %watched.pipeline_name, "build #{} of {job}: {error}", build.number);
                    fields.insert("properties".into(), json!({}));
                }
            }
        }
        let at = build
            .raw
            .get("timestamp")
            .and_then(Value::as_i64)
            .map_or(Timestamp::from_millis(0), Timestamp::from_millis);
        let event = Event {
            fields,
            parameters: Map::new(),
            id: ExecutionId::derived(
                at,
                &format!(
                    "jenkins/{}/{}/{master}/{job}/{}",
                    watched.pipeline_id, watched.key, build.number
                ),
            ),
        };
        let what = format!("build #{} of {job}", build.number);
        done &= triggers.fire_or_keep(&watched, event, &what).await;
    }
    done
}

/// The build's archived `file`, read as the Jenkins stage reads its property file.
async fn properties(
    triggers: &Triggers,
    master: &str,
    job: &str,
    build: &Build,
    file: &str,
) -> Result<Map<String, Value>, String> {
    let artifact = build
        .artifacts
        .iter()
        .find(|a| a.file_name == file || a.relative_path == file)
        .ok_or_else(|| format!("the build archived no {file}"))?;
    let text = triggers
        .jenkins
        .artifact(master, job, build.number, &artifact.relative_path)
        .await
        .map_err(|e| e.to_string())?;
    crate::tasks::steps::jenkins::read_property_file(file, &text)
}
