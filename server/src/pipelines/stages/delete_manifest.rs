//! Delete (Manifest): deletes one object.

use gennaker_core::pipelines::stages::ManifestTarget;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::manifest_ref;
use super::{PlanError, Planning};

/// Its one step.
pub fn plan(p: &Planning, target: ManifestTarget) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let target = manifest_ref(kubernetes, target)?;
    Ok(vec![Step::new(
        format!("Delete {} {}", target.kind, target.name),
        StepAction::Delete { target },
    )])
}
