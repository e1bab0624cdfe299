//! Find Image from Cluster: reads the image a server group of a cluster runs, for a Deploy
//! stage after it (`deploymentDetails`).

use gennaker_core::pipelines::stages::{ClusterRef, FindImage};
use gennaker_core::tasks::model::{Step, StepAction};

use super::targets::checked_cluster;
use super::{PlanError, Planning};

/// Its one step.
pub fn plan(p: &Planning, find: FindImage) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let ClusterRef {
        account,
        namespace,
        cluster,
    } = checked_cluster(kubernetes, find.cluster)?;
    Ok(vec![Step::new(
        format!("Find the image of cluster {cluster}"),
        StepAction::FindImage {
            account,
            namespace,
            cluster,
            pick: find.pick,
            only_enabled: find.only_enabled,
        },
    )])
}
