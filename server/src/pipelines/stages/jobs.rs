//! What the stages that run a Kubernetes Job share — Run Job (Manifest), from the Job the
//! stage writes, and Script, from an image and a script: create the Job, wait for it and keep
//! its logs, delete it if asked, and fail the stage if the Job failed.

use std::time::Duration;

use gennaker_core::infrastructure::names::keys;
use gennaker_core::tasks::model::{Capture, ManifestRef, Step, StepAction};
use serde_json::{Value, json};

use super::PlanError;
use crate::kubernetes::Kubernetes;

/// How long a Job may run when its stage sets no timeout.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
/// Kubernetes' longest name for a Job (its Pods carry it in a label).
pub(super) const MAX_JOB_NAME: usize = 63;

/// Five characters as Kubernetes appends to a `generateName` (no vowels, no look-alikes).
pub(super) fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// Create the Job, wait for it (keeping its logs), delete it if asked, check its outcome.
pub(super) fn steps(
    kubernetes: &Kubernetes,
    application: &str,
    account: &str,
    mut job: Value,
    capture: Option<Capture>,
    delete: bool,
    own_timeout: bool,
) -> Result<Vec<Step>, PlanError> {
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
