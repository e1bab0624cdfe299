//! Shrink Cluster: deletes all but the given number of server groups of a cluster, sparing what
//! this execution deployed.

use gennaker_core::pipelines::stages::Cleanup;
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::cluster_cleanup_step;
use super::{PlanError, Planning};

/// Its one step.
pub fn plan(p: &Planning, cleanup: Cleanup) -> Result<Vec<Step>, PlanError> {
    cluster_cleanup_step(
        p,
        cleanup,
        |c| format!("Shrink {} to {} server group(s)", c.cluster, c.keep),
        |cleanup| StepAction::DeleteClusterExcess { cleanup },
    )
}
