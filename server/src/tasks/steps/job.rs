//! Steps of the stages that run a Kubernetes Job (Run Job (Manifest), Script): create the Job
//! once, wait for its outcome, keep its Pods' logs and the output properties written in one
//! container's log, and fail the stage when the Job failed. The Job carries the id of the task
//! that created it, so a restarted task finds its own Job and never creates a second one.

use gennaker_core::infrastructure::jobs::JobState;
use gennaker_core::tasks::model::{
    Capture, JOB_LOGS_OUTPUT, JOB_STATUS_OUTPUT, ManifestRef, Outputs,
};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, LogParams, PostParams};
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult, api_error, is_status};
use crate::kubernetes::jobs::job_state;
use crate::tasks::outcome::{Outcome, StepError};

/// The annotation naming the task that created a Job.
pub const TASK_ANNOTATION: &str = "gennaker.io/task";
/// The most of one container's log read from the cluster.
const LOG_READ_BYTES: i64 = 4 * 1024 * 1024;
/// The most of one container's log kept in the stage's outputs (its end).
const LOG_KEPT_BYTES: usize = 64 * 1024;
/// The output holding the properties read from a log or a property file, as Spinnaker names it.
pub(in crate::tasks) const PROPERTIES_OUTPUT: &str = "propertyFileContents";
/// Set when the properties could not be read: why.
pub(in crate::tasks) const PROPERTIES_PROBLEM: &str = "propertyFileProblem";

/// Reads the output properties of a log, as Spinnaker does: `SPINNAKER_PROPERTY_NAME=value`
/// gives `name` (lower case) = `value` (trimmed); `SPINNAKER_CONFIG_JSON={...}` gives every
/// key of the object. Later lines win.
pub fn properties(log: &str) -> Result<Map<String, Value>, String> {
    const PROPERTY: &str = "SPINNAKER_PROPERTY_";
    const CONFIG_JSON: &str = "SPINNAKER_CONFIG_JSON=";
    let mut found = Map::new();
    for (n, line) in log.lines().enumerate() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix(PROPERTY) {
            let Some((key, value)) = rest.split_once('=') else {
                return Err(format!(
                    "line {} of the log starts with {PROPERTY} but has no =value",
                    n + 1
                ));
            };
            found.insert(
                key.trim().to_lowercase(),
                Value::String(value.trim().to_string()),
            );
        } else if let Some(text) = line.strip_prefix(CONFIG_JSON) {
            match serde_json::from_str::<Value>(text.trim()) {
                Ok(Value::Object(object)) => found.extend(object),
                Ok(_) => {
                    return Err(format!(
                        "line {} of the log: {CONFIG_JSON} must be followed by a JSON object",
                        n + 1
                    ));
                }
                Err(error) => {
                    return Err(format!(
                        "line {} of the log: {CONFIG_JSON} is not followed by valid JSON ({error})",
                        n + 1
                    ));
                }
            }
        }
    }
    Ok(found)
}

/// The end of `log`, at most [`LOG_KEPT_BYTES`], cut at a character boundary.
fn tail(log: &str) -> (&str, bool) {
    if log.len() <= LOG_KEPT_BYTES {
        return (log, false);
    }
    let mut start = log.len() - LOG_KEPT_BYTES;
    while !log.is_char_boundary(start) {
        start += 1;
    }
    (&log[start..], true)
}

/// How a container of a finished Pod ended.
struct Ended {
    container: String,
    exit_code: i32,
    reason: Option<String>,
    message: Option<String>,
}

impl Ended {
    /// Spinnaker's `completionDetails`.
    fn details(&self) -> Value {
        json!({"container": self.container, "exitCode": self.exit_code,
            "reason": self.reason, "message": self.message})
    }

    /// "container report exited with code 3: 2 tests failed", for a container that failed.
    fn failure(&self) -> Option<String> {
        let (c, code) = (&self.container, self.exit_code);
        (code != 0).then(|| match self.message.as_ref().or(self.reason.as_ref()) {
            Some(why) => format!("container {c} exited with code {code}: {why}"),
            None => format!("container {c} exited with code {code}"),
        })
    }
}

fn ended(pod: &Pod) -> Vec<Ended> {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let t = c.state.as_ref()?.terminated.as_ref()?;
            Some(Ended {
                container: c.name.clone(),
                exit_code: t.exit_code,
                reason: t.reason.clone(),
                message: t.message.clone(),
            })
        })
        .collect()
}

/// How the Job's Pods ended: the newest failed container, else the newest that ended.
fn last_ended(pods: &[Pod]) -> Option<Ended> {
    let all: Vec<Ended> = pods.iter().rev().flat_map(ended).collect();
    let failed = all.iter().position(|e| e.exit_code != 0);
    all.into_iter().nth(failed.unwrap_or(0))
}

/// Each container's log (its end, kept) of `pods`, and the whole log of the `capture`
/// container, where the output properties are.
async fn logs(api: &Api<Pod>, pods: &[Pod], capture: Option<&Capture>) -> (Vec<Value>, String) {
    let mut kept = Vec::new();
    let mut captured = String::new();
    for pod in pods {
        let pod_name = pod.name_any();
        let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
        for container in containers.map(|c| c.name.clone()) {
            let params = LogParams {
                container: Some(container.clone()),
                limit_bytes: Some(LOG_READ_BYTES),
                ..LogParams::default()
            };
            match api.logs(&pod_name, &params).await {
                Ok(text) => {
                    if capture.is_some_and(|c| c.container == container) {
                        captured.push_str(&text);
                        captured.push('\n');
                    }
                    let (end, truncated) = tail(&text);
                    kept.push(json!({"pod": pod_name, "container": container, "log": end, "truncated": truncated}));
                }
                Err(error) => kept.push(json!({
                    "pod": pod_name, "container": container,
                    "error": format!("the cluster did not give this log: {error}")
                })),
            }
        }
    }
    (kept, captured)
}

impl Executor<'_> {
    /// Creates the Job, marked with this task's id; a Job of that name this task created
    /// already is taken as created, one made by anything else is refused.
    pub(in crate::tasks) async fn create_job(
        &self,
        account: &str,
        namespace: &str,
        manifest: &Value,
    ) -> StepResult {
        let connection = self.connection(account, namespace)?;
        let mut object: DynamicObject = serde_json::from_value(manifest.clone())
            .map_err(|e| StepError::refused(format!("the Job's manifest cannot be read: {e}")))?;
        object
            .annotations_mut()
            .insert(TASK_ANNOTATION.into(), self.task.id.to_string());
        let name = object.name_any();
        let api: Api<DynamicObject> = Api::namespaced_with(
            connection.client.clone(),
            namespace,
            &ApiResource::erase::<Job>(&()),
        );
        match api.create(&PostParams::default(), &object).await {
            Ok(_) => Ok(Outcome::done(format!("Job {name} created in {namespace}"))),
            Err(error) if is_status(&error, 409) => {
                let existing = api
                    .get(&name)
                    .await
                    .map_err(api_error(format!("reading Job {name}")))?;
                let ours =
                    existing.annotations().get(TASK_ANNOTATION) == Some(&self.task.id.to_string());
                if ours {
                    Ok(Outcome::done(format!("Job {name} was created already")))
                } else {
                    Err(StepError::refused(format!(
                        "a Job named {name} already exists in {namespace} and this stage did not create it: delete it, or name the Job with metadata.generateName so each run gets its own"
                    )))
                }
            }
            Err(error) => Err(api_error(format!("creating Job {name}"))(error)),
        }
    }

    /// Waits for the Job's outcome, then records it with the logs and the properties.
    pub(in crate::tasks) async fn wait_for_job(
        &self,
        target: &ManifestRef,
        capture: Option<&Capture>,
    ) -> StepResult {
        let connection = self.connection(&target.account, &target.namespace)?;
        let jobs: Api<Job> = Api::namespaced(connection.client.clone(), &target.namespace);
        let name = &target.name;
        let Some(job) = jobs
            .get_opt(name)
            .await
            .map_err(api_error(format!("reading Job {name}")))?
        else {
            return Err(StepError::refused(format!(
                "Job {name} is gone from {}: it was deleted before it finished",
                target.namespace
            )));
        };
        let state = job_state(&job);
        let failure = match &state {
            JobState::Complete => None,
            JobState::Failed(reason) => Some(reason.clone()),
            JobState::Running | JobState::Suspended => {
                let status = job.status.clone().unwrap_or_default();
                return Ok(Outcome::pending(format!(
                    "Job {name}: {} running, {} succeeded, {} failed",
                    status.active.unwrap_or(0),
                    status.succeeded.unwrap_or(0),
                    status.failed.unwrap_or(0)
                )));
            }
        };
        let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &target.namespace);
        let mut owned = pods
            .list(&ListParams::default().labels(&format!("job-name={name}")))
            .await
            .map_err(api_error(format!("listing the Pods of Job {name}")))?
            .items;
        owned.sort_by(|a, b| {
            (a.metadata.creation_timestamp.as_ref(), a.name_any())
                .cmp(&(b.metadata.creation_timestamp.as_ref(), b.name_any()))
        });

        let (logs, captured) = logs(&pods, &owned, capture).await;
        let last = last_ended(&owned);
        let completion = last.as_ref().map_or(Value::Null, Ended::details);
        let failure_details = failure.as_ref().and(last.as_ref()).and_then(Ended::failure);

        let mut outputs = Outputs::new();
        if let Some(capture) = capture {
            match properties(&captured) {
                Ok(found) => {
                    outputs.extend(found.clone());
                    outputs.insert(PROPERTIES_OUTPUT.into(), Value::Object(found));
                }
                Err(problem) => {
                    outputs.insert(
                        PROPERTIES_PROBLEM.into(),
                        json!(format!("container {}: {problem}", capture.container)),
                    );
                }
            }
        }
        let (job_state_text, message) = match &failure {
            None => ("Succeeded", format!("Job {name} succeeded")),
            Some(reason) => (
                "Failed",
                match &failure_details {
                    Some(details) => format!("Job {name} failed: {reason}; {details}"),
                    None => format!("Job {name} failed: {reason}"),
                },
            ),
        };
        outputs.insert(
            JOB_STATUS_OUTPUT.into(),
            json!({
                "name": name,
                "account": target.account,
                "location": target.namespace,
                "jobState": job_state_text,
                "message": failure,
                "failureDetails": failure_details,
                "completionDetails": completion,
            }),
        );
        outputs.insert("completionDetails".into(), completion);
        outputs.insert(
            "deploy.jobs".into(),
            json!({ target.namespace.clone(): [format!("job {name}")] }),
        );
        outputs.insert(JOB_LOGS_OUTPUT.into(), Value::Array(logs));
        Ok(Outcome::Done { message, outputs })
    }

    /// Why the properties an earlier step read could not be read, if they could not.
    pub(in crate::tasks) fn properties_problem(&self) -> Option<&str> {
        self.task
            .outputs
            .get(PROPERTIES_PROBLEM)
            .and_then(Value::as_str)
    }

    /// Fails the stage when the Job recorded by the wait failed or lacks asked-for properties.
    pub(in crate::tasks) fn check_job(&self, job: &str, capture: Option<&Capture>) -> StepResult {
        let status =
            self.task.outputs.get(JOB_STATUS_OUTPUT).ok_or_else(|| {
                StepError::refused(format!("Job {job}'s outcome was not recorded"))
            })?;
        if status["jobState"] == "Failed" {
            let reason = status["message"].as_str().unwrap_or("the Job failed");
            return Err(StepError::refused(
                match status["failureDetails"].as_str() {
                    Some(details) => format!("Job {job} failed: {reason}; {details}"),
                    None => format!("Job {job} failed: {reason}"),
                },
            ));
        }
        if let Some(problem) = self.properties_problem() {
            return Err(StepError::refused(format!(
                "Job {job} succeeded, but its output properties cannot be read: {problem}"
            )));
        }
        if let Some(capture) = capture.filter(|c| c.required) {
            let empty = self
                .task
                .outputs
                .get(PROPERTIES_OUTPUT)
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty);
            if empty {
                return Err(StepError::refused(format!(
                    "Job {job} succeeded, but container {}'s log has no output properties: write lines SPINNAKER_PROPERTY_NAME=value or SPINNAKER_CONFIG_JSON={{...}}, or clear the stage's property container",
                    capture.container
                )));
            }
        }
        Ok(Outcome::done(format!("Job {job} succeeded")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_read_from_marked_lines_as_spinnaker_does() {
        let log = "starting\n  SPINNAKER_PROPERTY_BUILD_NUMBER = 42 \nSPINNAKER_PROPERTY_Image_Tag=v1=2\n\
                   SPINNAKER_CONFIG_JSON={\"checks\": 12, \"image_tag\": \"v2\"}\nnot SPINNAKER_PROPERTY_X=1\n";
        let found = properties(log).expect("properties");
        assert_eq!(found["build_number"], json!("42"));
        assert_eq!(found["checks"], json!(12));
        // The JSON line comes later and wins; `=` after the first is part of the value.
        assert_eq!(found["image_tag"], json!("v2"));
        assert!(!found.contains_key("x"));
        assert_eq!(properties("nothing here").map(|f| f.len()), Ok(0));
    }

    #[test]
    fn a_bad_property_line_says_which_line_and_why() {
        let bad_json = properties("a\nSPINNAKER_CONFIG_JSON={oops").expect_err("bad JSON");
        assert!(bad_json.starts_with("line 2 of the log"), "{bad_json}");
        assert!(
            properties("SPINNAKER_CONFIG_JSON=[1]")
                .expect_err("not an object")
                .contains("JSON object")
        );
        assert!(
            properties("SPINNAKER_PROPERTY_X")
                .expect_err("no value")
                .contains("=value")
        );
    }

    #[test]
    fn a_long_log_keeps_its_end() {
        let log = format!("{}é{}", "a".repeat(LOG_KEPT_BYTES), "z".repeat(10));
        let (kept, truncated) = tail(&log);
        assert!(truncated);
        assert!(kept.ends_with("zzzzzzzzzz"));
        assert!(kept.len() <= LOG_KEPT_BYTES);
        assert_eq!(tail("short"), ("short", false));
    }
}
