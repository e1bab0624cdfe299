//! What the stages that act on an object or a cluster share: the object or cluster, with its
//! account and namespace checked, and the step that picks a server group when the stage runs.

use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::stages::{
    Cleanup, ClusterRef, ClusterTarget, ManifestObjects, ManifestTarget,
};
use gennaker_core::tasks::model::{
    ClusterCleanup, ManifestRef, ManifestSelector, SelectedAct, ServerGroupPick, Step, StepAction,
    Target,
};
use serde_json::Value;

use super::{PlanError, Planning};
use crate::kubernetes::Kubernetes;
use crate::tasks::steps::DEPLOYED_OUTPUT;

/// The objects of a manifest stage: one named now, or found by a first step when it runs.
pub(super) enum Objects {
    Named(ManifestRef),
    Selected {
        account: String,
        namespace: String,
        selector: ManifestSelector,
    },
}

impl Objects {
    /// The kinds the stage may act on (the named one, the dynamic target's, the label's).
    pub(super) fn kinds(&self) -> Vec<&str> {
        match self {
            Objects::Named(target) => vec![target.kind.as_str()],
            Objects::Selected {
                selector: ManifestSelector::Dynamic { kind, .. },
                ..
            } => vec![kind.as_str()],
            Objects::Selected {
                selector: ManifestSelector::Label { kinds, .. },
                ..
            } => kinds.iter().map(String::as_str).collect(),
        }
    }

    /// The stage's steps: `named` for one object, or the step that finds them and the steps
    /// `selected` makes from what acts on each found object.
    pub(super) fn steps(
        self,
        named: impl FnOnce(ManifestRef) -> Vec<Step>,
        selected: impl FnOnce(&dyn Fn(&str, SelectedAct) -> Step) -> Vec<Step>,
    ) -> Vec<Step> {
        match self {
            Objects::Named(target) => named(target),
            Objects::Selected {
                account,
                namespace,
                selector,
            } => {
                let find = Step::new(
                    format!("Find {}", selector.describe()),
                    StepAction::SelectManifests {
                        account: account.clone(),
                        namespace: namespace.clone(),
                        selector,
                    },
                );
                let act = |label: &str, act: SelectedAct| {
                    Step::new(
                        label,
                        StepAction::ForSelected {
                            account: account.clone(),
                            namespace: namespace.clone(),
                            act,
                        },
                    )
                };
                let mut steps = vec![find];
                steps.extend(selected(&act));
                steps
            }
        }
    }
}

/// The stage's objects, with their account and namespace checked.
pub(super) fn manifest_objects(
    kubernetes: &Kubernetes,
    target: ManifestTarget,
) -> Result<Objects, PlanError> {
    kubernetes
        .connection_for(&target.account, &target.namespace)
        .map_err(|e| e.to_string())?;
    match target.objects {
        ManifestObjects::Named { kind, name } => {
            if kind.trim().is_empty() || name.trim().is_empty() {
                return Err("manifestName: give the kind and the name of the object".into());
            }
            Ok(Objects::Named(ManifestRef {
                account: target.account,
                namespace: target.namespace,
                kind,
                name,
            }))
        }
        ManifestObjects::Selected(selector) => Ok(Objects::Selected {
            account: target.account,
            namespace: target.namespace,
            selector,
        }),
    }
}

/// Waits until a scaled or rolled back object is stable again.
pub(super) fn wait_for_object(target: ManifestRef) -> Step {
    Step::new(
        format!("Wait for {} {} to be stable", target.kind, target.name),
        StepAction::WaitForManifests {
            account: target.account.clone(),
            namespace: target.namespace.clone(),
            objects: vec![target],
        },
    )
}

/// The cluster, with its account and namespace checked.
pub(super) fn checked_cluster(
    kubernetes: &Kubernetes,
    cluster: ClusterRef,
) -> Result<ClusterRef, PlanError> {
    kubernetes
        .connection_for(&cluster.account, &cluster.namespace)
        .map_err(|e| e.to_string())?;
    Ok(cluster)
}

/// The step that picks a server group stage's target when it runs, and the target the steps
/// after it act on.
pub(super) fn pick(
    kubernetes: &Kubernetes,
    target: ClusterTarget,
) -> Result<(Vec<Step>, Target), PlanError> {
    let cluster = checked_cluster(kubernetes, target.cluster)?;
    let label = match &target.pick {
        ServerGroupPick::Named { name } => format!("Find server group {name}"),
        other => format!("Pick {} of {}", other.describe(), cluster.cluster),
    };
    let picked = Target::Picked {
        account: cluster.account.clone(),
        namespace: cluster.namespace.clone(),
    };
    let step = Step::new(
        label,
        StepAction::PickServerGroup {
            account: cluster.account,
            namespace: cluster.namespace,
            cluster: cluster.cluster,
            pick: target.pick,
        },
    );
    Ok((vec![step], picked))
}

/// The server groups of `cluster` that stages of this execution deployed.
fn deployed_here(execution: &Execution, cluster: &ClusterRef) -> Vec<String> {
    execution
        .stages
        .iter()
        .filter_map(|s| s.outputs.get(DEPLOYED_OUTPUT).and_then(Value::as_array))
        .flatten()
        .filter(|d| {
            d["account"] == cluster.account.as_str()
                && d["namespace"] == cluster.namespace.as_str()
                && d["cluster"] == cluster.cluster.as_str()
        })
        .filter_map(|d| d["name"].as_str().map(str::to_string))
        .collect()
}

/// Shrink Cluster's or Scale Down Cluster's one step: the cleanup's settings, sparing what this
/// execution deployed, with the stage's label and action for them.
pub(super) fn cluster_cleanup_step(
    p: &Planning,
    cleanup: Cleanup,
    label: impl FnOnce(&ClusterCleanup) -> String,
    action: impl FnOnce(ClusterCleanup) -> StepAction,
) -> Result<Vec<Step>, PlanError> {
    let cluster = checked_cluster(p.kubernetes, cleanup.cluster)?;
    let cleanup = ClusterCleanup {
        exclude: deployed_here(p.execution, &cluster),
        account: cluster.account,
        namespace: cluster.namespace,
        cluster: cluster.cluster,
        keep: cleanup.keep,
        prefer_larger: cleanup.prefer_larger,
        allow_active: cleanup.allow_active,
    };
    Ok(vec![Step::new(label(&cleanup), action(cleanup))])
}
