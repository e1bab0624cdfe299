//! Plans the stages that run a Kubernetes Job: Run Job (Manifest) from the Job the stage
//! writes, Script from an image and a script. The Job's name is fixed here (a
//! `metadata.generateName` gets its random end now), so the steps stored in the task name the
//! same Job after a restart. Then: create it, wait for it and keep its logs, delete it if
//! asked, and fail the stage if the Job failed.

use std::time::Duration;

use gennaker_app::infrastructure::names::keys;
use gennaker_app::pipelines::stages::{RunJob, Script};
use gennaker_app::tasks::model::{Capture, ManifestRef, Step, StepAction};
use serde_json::{Value, json};

use crate::kubernetes::{Kubernetes, manifests};

/// How long a Job may run when its stage sets no timeout.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
/// Kubernetes' longest name for a Job (its Pods carry it in a label).
const MAX_JOB_NAME: usize = 63;
/// The container a Script runs in; its log holds the Script's output properties.
pub const SCRIPT_CONTAINER: &str = "script";

/// Five characters as Kubernetes appends to a `generateName` (no vowels, no look-alikes).
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// The Job of a Run Job stage, read from its manifest: exactly one object, of kind Job, with
/// a name or a `generateName`.
fn job_manifest(manifest: &Value) -> Result<Value, String> {
    let mut documents = match manifest {
        Value::String(text) => {
            manifests::parse_documents(text).map_err(|e| format!("manifest: {e}"))?
        }
        other => vec![other.clone()],
    };
    if documents.len() != 1 {
        return Err(format!(
            "manifest: Run Job runs one Job; the manifest has {} objects",
            documents.len()
        ));
    }
    let mut job = documents.remove(0);
    let kind = job["kind"].as_str().unwrap_or_default();
    if kind != "Job" {
        return Err(format!(
            "manifest: Run Job runs a Kubernetes Job, not {}",
            if kind.is_empty() {
                "an object without a kind"
            } else {
                kind
            }
        ));
    }
    if job["apiVersion"].as_str().is_none_or(str::is_empty) {
        job["apiVersion"] = json!("batch/v1");
    }
    let name = job["metadata"]["name"].as_str().filter(|n| !n.is_empty());
    let prefix = job["metadata"]["generateName"]
        .as_str()
        .filter(|n| !n.is_empty());
    let name = match (name, prefix) {
        (Some(name), _) => name.to_string(),
        (None, Some(prefix)) => format!("{prefix}{}", random_suffix()),
        (None, None) => {
            return Err(
                "manifest.metadata: give the Job a name, or a generateName so each run gets its own"
                    .into(),
            );
        }
    };
    if name.len() > MAX_JOB_NAME {
        return Err(format!(
            "manifest.metadata: the Job's name {name} is longer than {MAX_JOB_NAME} characters"
        ));
    }
    if let Some(meta) = job["metadata"].as_object_mut() {
        meta.remove("generateName");
        meta.insert("name".into(), json!(name));
    }
    Ok(job)
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

/// The steps of a Run Job (Manifest) stage.
pub fn run_job(
    kubernetes: &Kubernetes,
    application: &str,
    run: RunJob,
    own_timeout: bool,
) -> Result<Vec<Step>, String> {
    let job = job_manifest(&run.manifest)?;
    let capture = run.property_container.map(|container| Capture {
        container,
        required: true,
    });
    steps(
        kubernetes,
        application,
        &run.account,
        job,
        capture,
        run.delete_job,
        own_timeout,
    )
}

/// The steps of a Script stage.
pub fn script(
    kubernetes: &Kubernetes,
    application: &str,
    script: Script,
    own_timeout: bool,
) -> Result<Vec<Step>, String> {
    let job = script_job(application, &script);
    let capture = Some(Capture {
        container: SCRIPT_CONTAINER.into(),
        required: false,
    });
    steps(
        kubernetes,
        application,
        &script.account,
        job,
        capture,
        script.delete_job,
        own_timeout,
    )
}

fn steps(
    kubernetes: &Kubernetes,
    application: &str,
    account: &str,
    mut job: Value,
    capture: Option<Capture>,
    delete: bool,
    own_timeout: bool,
) -> Result<Vec<Step>, String> {
    let namespace = job["metadata"]["namespace"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
        .to_string();
    kubernetes
        .connection_for(account, &namespace)
        .map_err(|e| e.to_string())?;
    job["metadata"]["namespace"] = json!(namespace);
    // The application's Jobs view lists it.
    let annotations = &mut job["metadata"]["annotations"];
    if !annotations.is_object() {
        *annotations = json!({});
    }
    if annotations.get(keys::MONIKER_APPLICATION).is_none() {
        annotations[keys::MONIKER_APPLICATION] = json!(application);
    }
    let name = job["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let target = ManifestRef {
        account: account.to_string(),
        namespace: namespace.clone(),
        kind: "Job".into(),
        name: name.clone(),
    };
    let wait = Step::new(
        format!("Wait for Job {name} to finish"),
        StepAction::WaitForJob {
            job: target.clone(),
            capture: capture.clone(),
        },
    );
    let mut steps = vec![
        Step::new(
            format!("Create Job {name} in {namespace}"),
            StepAction::CreateJob {
                account: account.to_string(),
                namespace,
                manifest: job,
            },
        ),
        // The stage's own timeout, when it has one, is the task's deadline instead.
        if own_timeout {
            wait
        } else {
            wait.with_timeout(JOB_TIMEOUT)
        },
    ];
    if delete {
        steps.push(Step::new(
            format!("Delete Job {name}"),
            StepAction::Delete { target },
        ));
    }
    steps.push(Step::new(
        "Check the Job's outcome",
        StepAction::CheckJob { job: name, capture },
    ));
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_name_is_fixed_when_the_stage_is_planned() {
        let job = job_manifest(&json!({"kind": "Job", "metadata": {"generateName": "report-"}}))
            .expect("a job");
        let name = job["metadata"]["name"].as_str().expect("a name");
        assert!(name.starts_with("report-") && name.len() == 12, "{name}");
        assert!(job["metadata"].get("generateName").is_none());
        assert_eq!(job["apiVersion"], "batch/v1");
    }

    #[test]
    fn a_run_job_manifest_must_be_one_named_job() {
        let yaml = json!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: b}\n"
        );
        assert!(
            job_manifest(&yaml)
                .expect_err("two")
                .contains("has 2 objects")
        );
        let deployment = json!({"kind": "Deployment", "metadata": {"name": "web"}});
        assert!(
            job_manifest(&deployment)
                .expect_err("kind")
                .contains("not Deployment")
        );
        let nameless = json!({"kind": "Job", "metadata": {}});
        assert!(
            job_manifest(&nameless)
                .expect_err("name")
                .contains("generateName")
        );
        let named = job_manifest(&json!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\n"
        ))
        .expect("yaml");
        assert_eq!(named["metadata"]["name"], "once");
    }

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
