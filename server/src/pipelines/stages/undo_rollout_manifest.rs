//! Undo Rollout (Manifest): rolls a Deployment back a number of revisions, the revision chosen
//! when the stage runs, then waits until it is stable.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::{manifest_ref, wait_for_object};
use super::{PlanError, Planning};

/// Choose the revision, roll back, wait.
pub fn plan(
    p: &Planning,
    target: ManifestTarget,
    revisions_back: u64,
) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let target = manifest_ref(kubernetes, target)?;
    let kind = target.kind.to_ascii_lowercase();
    if !["deployment", "deployments", "deployment.apps", "deploy"].contains(&kind.as_str())
        && !kind.starts_with("deployment.")
    {
        return Err(format!(
            "manifestName: Undo Rollout rolls back Deployments, not {}",
            target.kind
        )
        .into());
    }
    let deployment = ObjectRef {
        account: target.account.clone(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
    };
    Ok(vec![
        Step::new(
            format!("Find the revision {revisions_back} before the current one"),
            StepAction::ChooseRevision {
                deployment: deployment.clone(),
                revisions_back,
            },
        ),
        Step::new(
            format!("Roll {} back", target.name),
            StepAction::UndoRolloutChosen { deployment },
        ),
        wait_for_object(target),
    ])
}
