//! Shrink Cluster: deletes all but the given number of server groups of a cluster, sparing what
//! this execution deployed.

use gennaker_core::pipelines::stages::Cleanup;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::cluster_cleanup;
use super::{PlanError, Planning};

/// Its one step.
pub fn plan(p: &Planning, cleanup: Cleanup) -> Result<Vec<Step>, PlanError> {
    let Planning {
        execution,
        kubernetes,
        ..
    } = *p;
    let cleanup = cluster_cleanup(execution, kubernetes, cleanup)?;
    Ok(vec![Step::new(
        format!(
            "Shrink {} to {} server group(s)",
            cleanup.cluster, cleanup.keep
        ),
        StepAction::DeleteClusterExcess { cleanup },
    )])
}
