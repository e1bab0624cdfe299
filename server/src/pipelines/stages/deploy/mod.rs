//! Deploy: for each cluster, a new server group (the image from the stage, a Find Image stage or
//! the trigger), then its strategy — None, Highlander, Red/Black, Rolling Red/Black (in
//! [`strategies`]) or Custom — and, for Red/Black with `rollback.onFailure`, the rollback the
//! engine runs when the new server group never became healthy.

mod strategies;

use gennaker_core::pipelines::execution::{Execution, StageExecution};
use gennaker_core::pipelines::model::{Stage, StageType};
use gennaker_core::pipelines::stages::{self, DeployCluster, StageSettings, Strategy};
use gennaker_core::tasks::model::{Step, StepAction};
use serde_json::Value;

use super::{PlanError, Planning, problems};
use crate::tasks::builders;

/// For each cluster: its server group made, then its strategy's steps.
pub fn plan(p: &Planning, clusters: Vec<DeployCluster>) -> Result<Vec<Step>, PlanError> {
    let Planning {
        execution,
        stage,
        kubernetes,
        registries,
        ..
    } = *p;
    let mut steps = Vec::new();
    for (i, cluster) in clusters.into_iter().enumerate() {
        let mut spec = cluster.spec.clone();
        if let Some(ref_id) = &cluster.image_from_stage {
            spec.image = found_image(execution, ref_id)?;
        }
        if cluster.image_from_trigger {
            spec.image = trigger_image(execution)?;
        }
        if spec.application.is_empty() {
            spec.application = execution.application.clone();
        }
        let spec_problems = spec.validate();
        if !spec_problems.is_empty() {
            return Err(format!("clusters[{i}]: {}", problems(spec_problems)).into());
        }
        let account = kubernetes
            .account(&spec.account)
            .map_err(|e| e.to_string())?;
        kubernetes
            .connection_for(&spec.account, &spec.namespace)
            .map_err(|e| e.to_string())?;
        let registry = registries.for_image(&spec.image, &account.settings.docker_registries);
        if cluster.strategy == Strategy::RollingRedBlack {
            let (record, empty) = strategies::rolling_before(&spec);
            steps.push(record);
            let mut create = builders::create_server_group(&empty, registry);
            // Its wait for 0 Pods says nothing: the growth steps wait for theirs.
            create.pop();
            steps.extend(create);
        } else {
            steps.extend(builders::create_server_group(&spec, registry));
        }
        let (account, namespace, cluster_name) =
            (spec.account.clone(), spec.namespace.clone(), spec.cluster());
        match cluster.strategy {
            Strategy::None => {}
            Strategy::Custom => {
                steps.extend(strategies::custom(execution, stage, i, &cluster, &spec));
            }
            Strategy::RollingRedBlack => {
                steps.extend(strategies::rolling_after(
                    execution, stage, i, &cluster, &spec,
                ));
                steps.extend(scale_down(&cluster, account, namespace, cluster_name));
            }
            Strategy::Highlander => steps.push(Step::new(
                format!("Destroy the other server groups of {cluster_name}"),
                StepAction::DestroyOtherServerGroups {
                    account,
                    namespace,
                    cluster: cluster_name,
                },
            )),
            Strategy::RedBlack => {
                if cluster.max_remaining > 0 {
                    steps.push(Step::new(
                        format!(
                            "Keep at most {} server groups of {cluster_name}",
                            cluster.max_remaining
                        ),
                        StepAction::ShrinkCluster {
                            account: account.clone(),
                            namespace: namespace.clone(),
                            cluster: cluster_name.clone(),
                            keep: cluster.max_remaining,
                        },
                    ));
                }
                if cluster.delay_before_disable_sec > 0 {
                    steps.push(Step::new(
                        format!(
                            "Wait {} s before disabling",
                            cluster.delay_before_disable_sec
                        ),
                        StepAction::Wait {
                            seconds: cluster.delay_before_disable_sec,
                        },
                    ));
                }
                steps.push(Step::new(
                    format!("Disable the other server groups of {cluster_name}"),
                    StepAction::DisableOtherServerGroups {
                        account: account.clone(),
                        namespace: namespace.clone(),
                        cluster: cluster_name.clone(),
                    },
                ));
                steps.extend(scale_down(&cluster, account, namespace, cluster_name));
            }
        }
    }
    Ok(steps)
}

/// Red/Black's and Rolling Red/Black's `scaleDown`: the disabled server groups of the cluster
/// go to 0, after `delayBeforeScaleDownSec`.
fn scale_down(
    cluster: &DeployCluster,
    account: String,
    namespace: String,
    cluster_name: String,
) -> Vec<Step> {
    if !cluster.scale_down {
        return Vec::new();
    }
    let mut steps = Vec::new();
    if cluster.delay_before_scale_down_sec > 0 {
        steps.push(Step::new(
            format!(
                "Wait {} s before scaling down",
                cluster.delay_before_scale_down_sec
            ),
            StepAction::Wait {
                seconds: cluster.delay_before_scale_down_sec,
            },
        ));
    }
    steps.push(Step::new(
        format!("Scale down the disabled server groups of {cluster_name}"),
        StepAction::ScaleDownOtherServerGroups {
            account,
            namespace,
            cluster: cluster_name,
        },
    ));
    steps
}

/// The image a Find Image from Cluster stage (`ref_id`) found, for a Deploy stage.
/// The image whose push started `execution` (a Docker Registry trigger's, or the newest tag
/// a manual start chose): `registry/repository:tag`, pinned to its digest when known.
fn trigger_image(execution: &Execution) -> Result<String, PlanError> {
    let field = |key: &str| {
        execution
            .trigger
            .extra
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(registry), Some(repository), Some(tag)) =
        (field("registry"), field("repository"), field("tag"))
    else {
        return Err("the image comes from the Docker Registry trigger, and this execution has no image in its trigger (it was not started by a push, and no tag of the trigger's repository was found when it started)".to_string().into());
    };
    Ok(match field("digest") {
        Some(digest) => format!("{registry}/{repository}:{tag}@{digest}"),
        None => format!("{registry}/{repository}:{tag}"),
    })
}

fn found_image(execution: &Execution, ref_id: &str) -> Result<String, PlanError> {
    let stage = execution
        .stage(ref_id)
        .filter(|s| s.kind == StageType::FindImageFromCluster.as_str())
        .ok_or_else(|| {
            format!("the image comes from stage {ref_id}, which is not a Find Image from Cluster stage of this pipeline")
        })?;
    stage
        .outputs
        .get("deploymentDetails")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|d| d["imageId"].as_str())
        .map(str::to_string)
        .ok_or_else(|| {
            PlanError::from(format!(
                "the image comes from stage {:?}, which has found no image (it must run before this stage)",
                stage.name
            ))
        })
}

/// The steps that undo a failed Deploy stage whose clusters asked for a rollback (Red/Black
/// with `rollback.onFailure`): for each cluster where `deployed` (the failed task's
/// `deployedServerGroups`) made a server group, the previous one takes the traffic back.
pub fn rollback(stage: &StageExecution, deployed: &[Value]) -> Vec<Step> {
    let config = Stage {
        kind: stage.kind.clone(),
        settings: stage.context.clone(),
        ..Stage::default()
    };
    let mut ignored = Vec::new();
    let StageSettings::Deploy(clusters) =
        stages::read(StageType::Deploy, &config, "", false, &mut ignored)
    else {
        return Vec::new();
    };
    clusters
        .into_iter()
        .filter(|c| {
            matches!(c.strategy, Strategy::RedBlack | Strategy::RollingRedBlack)
                && c.rollback_on_failure
        })
        .filter_map(|c| {
            let cluster = c.spec.cluster();
            let failed = deployed.iter().find_map(|d| {
                (d["cluster"] == cluster.as_str() && d["namespace"] == c.spec.namespace.as_str())
                    .then(|| d["name"].as_str().map(str::to_string))
                    .flatten()
            })?;
            Some(Step::new(
                format!("Roll {cluster} back to its previous server group"),
                StepAction::RollBackDeploy {
                    account: c.spec.account,
                    namespace: c.spec.namespace,
                    cluster,
                    failed,
                },
            ))
        })
        .collect()
}
