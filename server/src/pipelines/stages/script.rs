//! Script: runs `sh -c command` in an image as a Job tried once, so the script's exit code
//! decides; its log holds the script's output properties.

use gennaker_core::pipelines::stages::Script;
use gennaker_core::tasks::model::{Capture, Step};
use serde_json::{Value, json};

use super::jobs::{MAX_JOB_NAME, random_suffix, steps};
use super::{PlanError, Planning};

/// The container a Script runs in; its log holds the Script's output properties.
pub const SCRIPT_CONTAINER: &str = "script";

/// The steps of a Script stage.
pub fn plan(p: &Planning, script: Script) -> Result<Vec<Step>, PlanError> {
    let application = &p.execution.application;
    let job = script_job(application, &script);
    let capture = Some(Capture {
        container: SCRIPT_CONTAINER.into(),
        required: false,
    });
    steps(
        p.kubernetes,
        application,
        &script.account,
        job,
        capture,
        script.delete_job,
        p.own_timeout,
    )
}

/// The Job that runs a Script: `sh -c command` in `image`, tried once, so the script's exit
/// code decides.
fn script_job(application: &str, script: &Script) -> Value {
    let prefix: String = application.chars().take(MAX_JOB_NAME - 13).collect();
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": format!("{prefix}-script-{}", random_suffix()), "namespace": script.namespace},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{
                    "name": SCRIPT_CONTAINER,
                    "image": script.image,
                    "command": ["sh", "-c", script.command],
                }],
            }},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_runs_once_in_its_image() {
        let job = script_job(
            "web",
            &Script {
                account: "local".into(),
                namespace: "ci".into(),
                image: "alpine:3".into(),
                command: "echo hi; exit 3".into(),
                delete_job: false,
            },
        );
        assert!(
            job["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("web-script-"))
        );
        assert_eq!(job["spec"]["backoffLimit"], 0);
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["command"], json!(["sh", "-c", "echo hi; exit 3"]));
        assert_eq!(container["image"], "alpine:3");
    }
}
