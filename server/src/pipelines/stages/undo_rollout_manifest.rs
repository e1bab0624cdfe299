//! Undo Rollout (Manifest): rolls a Deployment (named, or the one chosen from a cluster when
//! the stage runs) back a number of revisions, the revision chosen when the stage runs, then
//! waits until it is stable.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{ManifestSelector, SelectedAct, Step, StepAction};

use super::targets::{Objects, manifest_objects, wait_for_object};
use super::{PlanError, Planning};

fn is_deployment(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    ["deployment", "deployments", "deployment.apps", "deploy"].contains(&kind.as_str())
        || kind.starts_with("deployment.")
}

/// Choose the revision, roll back, wait.
pub fn plan(
    p: &Planning,
    target: ManifestTarget,
    revisions_back: u64,
) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let objects = manifest_objects(kubernetes, target)?;
    if let Objects::Selected {
        selector: ManifestSelector::Label { .. },
        ..
    } = &objects
    {
        return Err(
            "Undo Rollout rolls back one Deployment: name it, or choose it from a cluster (mode dynamic), not by labels"
                .into(),
        );
    }
    if let Some(kind) = objects.kinds().into_iter().find(|k| !is_deployment(k)) {
        return Err(format!("Undo Rollout rolls back Deployments, not {kind}").into());
    }
    let choose = format!("Find the revision {revisions_back} before the current one");
    Ok(objects.steps(
        |target| {
            let deployment = ObjectRef {
                account: target.account.clone(),
                namespace: target.namespace.clone(),
                name: target.name.clone(),
            };
            vec![
                Step::new(
                    choose.clone(),
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
            ]
        },
        |act| {
            vec![
                act(&choose, SelectedAct::ChooseRevision { revisions_back }),
                act("Roll it back", SelectedAct::UndoChosen),
                act("Wait for it to be stable", SelectedAct::WaitStable),
            ]
        },
    ))
}
