//! Delete (Manifest): deletes one object, or the objects found when the stage runs (the
//! newest of a cluster, those whose labels match).

use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{SelectedAct, Step, StepAction};

use super::targets::manifest_objects;
use super::{PlanError, Planning};

/// Its one step, after the one that finds the objects when they are not named.
pub fn plan(p: &Planning, target: ManifestTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let objects = manifest_objects(kubernetes, target)?;
    Ok(objects.steps(
        |target| {
            vec![Step::new(
                format!("Delete {} {}", target.kind, target.name),
                StepAction::Delete { target },
            )]
        },
        |act| vec![act("Delete what was found", SelectedAct::Delete)],
    ))
}
