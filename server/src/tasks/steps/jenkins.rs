//! Steps of the Jenkins stage: start the job, follow its queue item to the build, wait for the
//! build and record it (with the properties of an archived property file), then fail the stage
//! unless the build succeeded. Each step records what the next needs in the task's outputs, so
//! a restart goes on with the same build. A restart between Jenkins accepting the start and the
//! step recording it can start a second build, as in Spinnaker: Jenkins has no way to ask for a
//! build only once.

use gennaker_core::tasks::model::Outputs;
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult};
use super::job::{PROPERTIES_OUTPUT, PROPERTIES_PROBLEM};
use crate::jenkins::Queued;
use crate::tasks::outcome::{Outcome, StepError};

/// The queue item of the started build, as Spinnaker names it.
const QUEUED_OUTPUT: &str = "queuedBuild";
const BUILD_NUMBER_OUTPUT: &str = "buildNumber";
const BUILD_INFO_OUTPUT: &str = "buildInfo";

/// Reads a property file as Spinnaker does by its name: `.json` a JSON object, `.yml` / `.yaml`
/// a YAML mapping, anything else Java properties (`key=value` or `key: value`, `#` and `!`
/// comments).
pub fn read_property_file(name: &str, text: &str) -> Result<Map<String, Value>, String> {
    let lower = name.to_ascii_lowercase();
    let object = if lower.ends_with(".json") {
        serde_json::from_str::<Value>(text).map_err(|e| format!("{name} is not valid JSON: {e}"))?
    } else if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        serde_yaml_ng::from_str::<Value>(text)
            .map_err(|e| format!("{name} is not valid YAML: {e}"))?
    } else {
        let mut found = Map::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let at = line.find(['=', ':']).unwrap_or(line.len());
            let (key, value) = line.split_at(at);
            let value = value.get(1..).unwrap_or_default();
            found.insert(key.trim().to_string(), json!(value.trim()));
        }
        Value::Object(found)
    };
    match object {
        Value::Object(found) => Ok(found),
        _ => Err(format!("{name} does not hold names and values")),
    }
}

impl Executor<'_> {
    fn recorded_u64(&self, key: &str, what: &str) -> Result<u64, StepError> {
        self.task
            .outputs
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| StepError::refused(format!("no {what} was recorded by an earlier step")))
    }

    pub(in crate::tasks) async fn start_jenkins_job(
        &self,
        master: &str,
        job: &str,
        parameters: &[(String, String)],
    ) -> StepResult {
        // Recorded before it leaves: a restart before Jenkins' answer is stored starts the
        // job again (at-least-once), with the same Idempotency-Key header.
        let (key, _) = self.record_sending().await?;
        let queued = self.jenkins.start(master, job, parameters, &key).await?;
        let mut outputs = Outputs::new();
        outputs.insert(QUEUED_OUTPUT.into(), json!(queued));
        Ok(Outcome::Done {
            message: format!("Jenkins queued job {job} as item {queued}"),
            outputs,
        })
    }

    pub(in crate::tasks) async fn wait_for_jenkins_queue(
        &self,
        master: &str,
        job: &str,
    ) -> StepResult {
        let queued = self.recorded_u64(QUEUED_OUTPUT, "queue item")?;
        match self.jenkins.queued(master, queued).await? {
            Queued::Waiting(why) => Ok(Outcome::pending(match why {
                Some(why) => format!("{job} is queued: {why}"),
                None => format!("{job} is queued"),
            })),
            Queued::Cancelled => Err(StepError::refused(format!(
                "the queued build of {job} was cancelled in Jenkins"
            ))),
            Queued::Started { number, url } => {
                let mut outputs = Outputs::new();
                outputs.insert(BUILD_NUMBER_OUTPUT.into(), json!(number));
                outputs.insert(
                    BUILD_INFO_OUTPUT.into(),
                    json!({"name": job, "number": number, "url": url, "building": true}),
                );
                Ok(Outcome::Done {
                    message: format!("build #{number} of {job} started: {url}"),
                    outputs,
                })
            }
        }
    }

    pub(in crate::tasks) async fn wait_for_jenkins_build(
        &self,
        master: &str,
        job: &str,
        property_file: Option<&str>,
    ) -> StepResult {
        let number = self.recorded_u64(BUILD_NUMBER_OUTPUT, "build number")?;
        let build = self.jenkins.build(master, job, number).await?;
        if build.building {
            return Ok(Outcome::pending(format!(
                "build #{number} of {job} is running: {}",
                build.url
            )));
        }
        let result = build.result.clone().unwrap_or_else(|| "NOT_BUILT".into());
        let mut outputs = Outputs::new();
        let info = json!({
            "name": job,
            "number": number,
            "url": build.url,
            "building": false,
            "result": result,
            "duration": build.raw["duration"],
            "timestamp": build.raw["timestamp"],
            "fullDisplayName": build.raw["fullDisplayName"],
            "artifacts": build.raw["artifacts"],
        });
        outputs.insert(BUILD_INFO_OUTPUT.into(), info);
        if let Some(name) =
            property_file.filter(|_| matches!(result.as_str(), "SUCCESS" | "UNSTABLE"))
        {
            let archived = build
                .artifacts
                .iter()
                .find(|a| a.relative_path == name || a.file_name == name);
            match archived {
                Some(artifact) => {
                    let text = self
                        .jenkins
                        .artifact(master, job, number, &artifact.relative_path)
                        .await?;
                    match read_property_file(&artifact.file_name, &text) {
                        Ok(found) => {
                            outputs.extend(found.clone());
                            outputs.insert(PROPERTIES_OUTPUT.into(), Value::Object(found));
                        }
                        Err(problem) => {
                            outputs.insert(PROPERTIES_PROBLEM.into(), json!(problem));
                        }
                    }
                }
                None => {
                    let names: Vec<&str> = build
                        .artifacts
                        .iter()
                        .map(|a| a.relative_path.as_str())
                        .collect();
                    outputs.insert(
                        PROPERTIES_PROBLEM.into(),
                        json!(format!(
                            "build #{number} archived no file {name} (it archived {})",
                            if names.is_empty() {
                                "nothing".to_string()
                            } else {
                                names.join(", ")
                            }
                        )),
                    );
                }
            }
        }
        Ok(Outcome::Done {
            message: format!("build #{number} of {job} ended {result}"),
            outputs,
        })
    }

    pub(in crate::tasks) fn check_jenkins_build(
        &self,
        job: &str,
        unstable_is_success: bool,
    ) -> StepResult {
        let info = self
            .task
            .outputs
            .get(BUILD_INFO_OUTPUT)
            .ok_or_else(|| StepError::refused(format!("no build of {job} was recorded")))?;
        let number = &info["number"];
        let url = info["url"].as_str().unwrap_or_default();
        let result = info["result"].as_str().unwrap_or("NOT_BUILT");
        let failed = |how: &str| {
            Err(StepError::refused(format!(
                "Jenkins build #{number} of {job} {how}: {url}console"
            )))
        };
        match result {
            "SUCCESS" => {}
            "UNSTABLE" if unstable_is_success => {}
            "UNSTABLE" => {
                return failed(
                    "is UNSTABLE (set \"Mark UNSTABLE as successful\" to go on after such builds)",
                );
            }
            "ABORTED" => return failed("was aborted"),
            "FAILURE" => return failed("failed"),
            other => return failed(&format!("ended {other}")),
        }
        if let Some(problem) = self.properties_problem() {
            return Err(StepError::refused(format!(
                "Jenkins build #{number} of {job} succeeded, but its property file cannot be read: {problem}"
            )));
        }
        Ok(Outcome::done(format!(
            "build #{number} of {job} ended {result}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_files_are_read_by_their_name() {
        let java = read_property_file(
            "build.properties",
            "# comment\n! also\nimageTag=1.2.3\nurl = http://x/?a=b\nname: web\n\nflag\n",
        )
        .expect("properties");
        assert_eq!(java["imageTag"], "1.2.3");
        assert_eq!(java["url"], "http://x/?a=b");
        assert_eq!(java["name"], "web");
        assert_eq!(java["flag"], "");
        let from_json = read_property_file("out.json", r#"{"n": 3}"#).expect("json");
        assert_eq!(from_json["n"], 3);
        let from_yaml = read_property_file("out.YML", "tag: v2\nlist: [1, 2]\n").expect("yaml");
        assert_eq!(from_yaml["list"], json!([1, 2]));
        assert!(
            read_property_file("out.json", "[1]")
                .expect_err("not an object")
                .contains("names and values")
        );
        assert!(
            read_property_file("out.json", "{")
                .expect_err("bad")
                .contains("not valid JSON")
        );
    }
}
