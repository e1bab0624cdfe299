//! Run Job (Manifest): runs the one Job the stage writes; a `metadata.generateName` gets its
//! random end now, so the steps stored in the task name the same Job after a restart.

use gennaker_core::pipelines::stages::RunJob;
use gennaker_core::tasks::model::{Capture, Step};
use serde_json::{Value, json};

use super::jobs::{MAX_JOB_NAME, random_suffix, steps};
use super::{PlanError, Planning};
use crate::kubernetes::manifests;

/// The steps of a Run Job (Manifest) stage.
pub fn plan(p: &Planning, run: RunJob) -> Result<Vec<Step>, PlanError> {
    let job = job_manifest(&run.manifest)?;
    let capture = run.property_container.map(|container| Capture {
        container,
        required: true,
    });
    steps(
        p.kubernetes,
        &p.execution.application,
        &run.account,
        job,
        capture,
        run.delete_job,
        p.own_timeout,
    )
}

/// The Job of a Run Job stage, read from its manifest: exactly one object, of kind Job, with
/// a name or a `generateName`.
fn job_manifest(manifest: &Value) -> Result<Value, PlanError> {
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
        )
        .into());
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
        )
        .into());
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
        )
        .into());
    }
    if let Some(meta) = job["metadata"].as_object_mut() {
        meta.remove("generateName");
        meta.insert("name".into(), json!(name));
    }
    Ok(job)
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
                .to_string()
                .contains("has 2 objects")
        );
        let deployment = json!({"kind": "Deployment", "metadata": {"name": "web"}});
        assert!(
            job_manifest(&deployment)
                .expect_err("kind")
                .to_string()
                .contains("not Deployment")
        );
        let nameless = json!({"kind": "Job", "metadata": {}});
        assert!(
            job_manifest(&nameless)
                .expect_err("name")
                .to_string()
                .contains("generateName")
        );
        let named = job_manifest(&json!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\n"
        ))
        .expect("yaml");
        assert_eq!(named["metadata"]["name"], "once");
    }
}
