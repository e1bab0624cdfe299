//! The steps of the deploy strategies that run more than one step after the new server group
//! exists: Rolling Red/Black (grow it through percentages, moving the same share of traffic
//! from the previous server group at each, with an optional validation pipeline between) and
//! Custom (run a pipeline of the team's own with Spinnaker's parameters).

use gennaker_core::ids::ExecutionId;
use gennaker_core::infrastructure::server_groups::ServerGroupSpec;
use gennaker_core::pipelines::execution::{Execution, StageExecution};
use gennaker_core::pipelines::stages::{DeployCluster, StrategyPipeline};
use gennaker_core::tasks::model::{Deployed, Step, StepAction, Target};
use serde_json::{Map, Value, json};

use crate::tasks::builders;

/// The id of a pipeline a strategy of cluster `index` of the stage starts, `n`th of them: fixed
/// by the stage's attempt, so a restart finds the execution it started.
fn child(execution: &Execution, stage: &StageExecution, index: usize, n: usize) -> ExecutionId {
    ExecutionId::derived(
        execution.build_time,
        &format!(
            "{}/{}/{}/cluster{index}/strategy{n}",
            execution.id, stage.ref_id, stage.attempt
        ),
    )
}

/// How many of `replicas` are `percentage` % (rounded up, as Spinnaker does).
pub fn share(replicas: i64, percentage: u64) -> i64 {
    let replicas = u64::try_from(replicas).unwrap_or(0);
    i64::try_from((replicas * percentage).div_ceil(100)).unwrap_or(i64::MAX)
}

fn run_pipeline(
    execution: &Execution,
    label: String,
    pipeline: &StrategyPipeline,
    parameters: Map<String, Value>,
    id: ExecutionId,
    deployed: Deployed,
) -> Step {
    let mut all = parameters;
    for (key, value) in &pipeline.parameters {
        all.insert(key.clone(), json!(value));
    }
    let application = if pipeline.application.is_empty() {
        execution.application.clone()
    } else {
        pipeline.application.clone()
    };
    Step::new(
        label,
        StepAction::RunPipeline {
            application,
            pipeline: pipeline.pipeline.clone(),
            parameters: all,
            execution: id,
            wait: true,
            deployed: Some(deployed),
        },
    )
}

/// Spinnaker's parameters of a strategy pipeline.
fn strategy_parameters(
    execution: &Execution,
    stage: &StageExecution,
    spec: &ServerGroupSpec,
) -> Map<String, Value> {
    let value = json!({
        "strategy": true,
        "application": spec.application,
        "credentials": spec.account,
        "account": spec.account,
        "cluster": spec.cluster(),
        "namespace": spec.namespace,
        "region": spec.namespace,
        "cloudProvider": "kubernetes",
        "stack": spec.stack,
        "freeFormDetails": spec.detail,
        "detail": spec.detail,
        "image": spec.image,
        "targetSize": spec.replicas,
        "parentPipelineId": execution.id.to_string(),
        "parentStageId": stage.id,
    });
    value.as_object().cloned().unwrap_or_default()
}

/// Rolling Red/Black before the server group is created: the source is recorded, and the new
/// server group starts with no replicas.
pub fn rolling_before(spec: &ServerGroupSpec) -> (Step, ServerGroupSpec) {
    let record = Step::new(
        format!(
            "Find the server group of {} traffic moves from",
            spec.cluster()
        ),
        StepAction::RecordRollingSource {
            account: spec.account.clone(),
            namespace: spec.namespace.clone(),
            cluster: spec.cluster(),
        },
    );
    let empty = ServerGroupSpec {
        replicas: 0,
        ..spec.clone()
    };
    (record, empty)
}

/// Rolling Red/Black after the (empty) server group exists.
pub fn rolling_after(
    execution: &Execution,
    stage: &StageExecution,
    index: usize,
    cluster: &DeployCluster,
    spec: &ServerGroupSpec,
) -> Vec<Step> {
    let created = Target::Created {
        account: spec.account.clone(),
        namespace: spec.namespace.clone(),
    };
    let mut steps = Vec::new();
    for (n, &percentage) in cluster.target_percentages.iter().enumerate() {
        let replicas = share(spec.replicas, percentage);
        steps.push(Step::new(
            format!(
                "Grow to {percentage}% of {} replicas: {replicas}",
                spec.replicas
            ),
            StepAction::SetReplicas {
                target: created.clone(),
                replicas,
            },
        ));
        steps.push(builders::wait_for_healthy(&created, Some(replicas)));
        if cluster.delay_before_cleanup_sec > 0 {
            steps.push(Step::new(
                format!("Wait {} s", cluster.delay_before_cleanup_sec),
                StepAction::Wait {
                    seconds: cluster.delay_before_cleanup_sec,
                },
            ));
        }
        if let Some(validation) = &cluster.pipeline {
            steps.push(run_pipeline(
                execution,
                format!("Run the validation pipeline at {percentage}%"),
                validation,
                strategy_parameters(execution, stage, spec),
                child(execution, stage, index, n),
                Deployed {
                    target: created.clone(),
                    percentage: Some(percentage),
                },
            ));
        }
        steps.push(Step::new(
            format!("Move {percentage}% of the traffic from the previous server group"),
            StepAction::DisableSourceShare {
                account: spec.account.clone(),
                namespace: spec.namespace.clone(),
                percentage,
            },
        ));
    }
    steps
}

/// Custom: the strategy pipeline, once the new server group is healthy.
pub fn custom(
    execution: &Execution,
    stage: &StageExecution,
    index: usize,
    cluster: &DeployCluster,
    spec: &ServerGroupSpec,
) -> Option<Step> {
    let pipeline = cluster.pipeline.as_ref()?;
    Some(run_pipeline(
        execution,
        format!("Run the strategy pipeline for {}", spec.cluster()),
        pipeline,
        strategy_parameters(execution, stage, spec),
        child(execution, stage, index, 0),
        Deployed {
            target: Target::Created {
                account: spec.account.clone(),
                namespace: spec.namespace.clone(),
            },
            percentage: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_replicas_is_rounded_up() {
        assert_eq!(share(4, 25), 1);
        assert_eq!(share(3, 50), 2);
        assert_eq!(share(3, 100), 3);
        assert_eq!(share(1, 10), 1);
        assert_eq!(share(0, 50), 0);
    }
}
