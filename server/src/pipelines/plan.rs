//! Turns a stage that may start into the steps of its task: the stage's settings are
//! evaluated (`${...}`) against the execution at that moment, read strictly, checked against
//! the accounts, and planned with the same step builders an operation uses. A stage that
//! cannot be planned (a bad expression, a missing field) fails with a message that names the
//! expression or the field.

use std::time::Duration;

use gennaker_app::error::FieldError;
use gennaker_app::expressions;
use gennaker_app::ids::ExecutionId;
use gennaker_app::infrastructure::server_groups::{ObjectRef, replicas_problem};
use gennaker_app::pipelines::execution::{Execution, StageExecution};
use gennaker_app::pipelines::model::{Stage, StageType};
use gennaker_app::pipelines::stages::{
    self, Cleanup, ClusterRef, ClusterTarget, ManifestTarget, Precondition, StageSettings, Strategy,
};
use gennaker_app::pipelines::validate::as_template;
use gennaker_app::pipelines::windows::{self, WINDOW_STEP};
use gennaker_app::tasks::model::{
    ClusterCleanup, ManifestRef, ServerGroupPick, Step, StepAction, Target, WebhookMonitor,
    WebhookRequest,
};
use serde_json::{Map, Value, json};

use crate::kubernetes::{Kubernetes, manifests};
use crate::registries::DockerRegistries;
use crate::tasks::builders;
use crate::tasks::steps::DEPLOYED_OUTPUT;

use super::strategies;

/// How long a Manual Judgment waits when its stage sets no timeout (Spinnaker: 72 h).
pub const JUDGMENT_TIMEOUT: Duration = Duration::from_secs(72 * 3600);
/// How often a webhook's status is read.
const WEBHOOK_POLL_SECONDS: u64 = 2;

/// A stage ready to run.
pub struct Planned {
    /// The stage's settings, evaluated: its context from now on.
    pub context: Map<String, Value>,
    pub steps: Vec<Step>,
}

/// What expressions of a stage see: the stage's own context, the outputs of the stages that
/// ran before it (nearest last, so it wins), and `execution`, `trigger`, `parameters`.
pub fn expression_root(execution: &Execution, stage: &StageExecution) -> Value {
    let mut root = Map::new();
    for upstream in ancestors(execution, &stage.ref_id).iter().rev() {
        if let Some(s) = execution.stage(upstream) {
            root.extend(s.outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    root.extend(stage.context.iter().map(|(k, v)| (k.clone(), v.clone())));
    let execution_json = serde_json::to_value(execution).unwrap_or(Value::Null);
    root.insert("trigger".into(), execution_json["trigger"].clone());
    root.insert(
        "parameters".into(),
        Value::Object(execution.trigger.parameters.clone()),
    );
    root.insert("application".into(), json!(execution.application));
    root.insert("execution".into(), execution_json);
    Value::Object(root)
}

/// The stages `ref_id` depends on, directly or not, nearest first.
fn ancestors(execution: &Execution, ref_id: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut frontier = vec![ref_id.to_string()];
    while let Some(current) = frontier.pop() {
        if let Some(stage) = execution.stage(&current) {
            for requisite in &stage.requisite_stage_ref_ids {
                if !found.contains(requisite) {
                    found.push(requisite.clone());
                    frontier.insert(0, requisite.clone());
                }
            }
        }
    }
    found
}

/// Whether a conditional stage runs: its `stageEnabled` expression must be true. Orca skips
/// the stage when the expression is false or cannot be evaluated.
pub fn enabled(
    execution: &Execution,
    stage: &StageExecution,
    config: &Stage,
) -> Result<bool, String> {
    let Some(expression) = config.enabled_expression() else {
        return Ok(true);
    };
    let root = expression_root(execution, stage);
    match expressions::evaluate(&as_template(expression), &root) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Ok(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Ok(other) => Err(format!(
            "its condition {expression} gave {other}, not true or false"
        )),
        Err(error) => Err(format!("its condition could not be evaluated: {error}")),
    }
}

fn problems(errors: Vec<FieldError>) -> String {
    errors
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Plans `stage` of `execution`; `child` is the id a Pipeline stage gives its execution.
pub fn plan(
    execution: &Execution,
    stage: &StageExecution,
    child: ExecutionId,
    kubernetes: &Kubernetes,
    registries: &DockerRegistries,
    jenkins: &crate::jenkins::JenkinsMasters,
) -> Result<Planned, String> {
    let kind = StageType::parse(&stage.kind)
        .ok_or_else(|| format!("Gennaker does not run {} stages", stage.kind))?;
    let root = expression_root(execution, stage);
    let evaluated = expressions::evaluate_all(&Value::Object(stage.context.clone()), &root)
        .map_err(|e| format!("an expression could not be evaluated: {e}"))?;
    let Value::Object(context) = evaluated else {
        return Err("the stage's settings are not an object".into());
    };
    let config = Stage {
        ref_id: stage.ref_id.clone(),
        requisite_stage_ref_ids: stage.requisite_stage_ref_ids.clone(),
        kind: stage.kind.clone(),
        name: stage.name.clone(),
        settings: context.clone(),
        ..Stage::default()
    };
    let mut errors = Vec::new();
    let settings = stages::read(kind, &config, "", false, &mut errors);
    if !errors.is_empty() {
        return Err(problems(errors));
    }
    let steps = match settings {
        StageSettings::Wait(wait) => {
            let seconds = wait.seconds.ok_or("waitTime is missing")?;
            vec![Step::new(
                format!("Wait {seconds} s"),
                StepAction::Wait { seconds },
            )]
        }
        StageSettings::ManualJudgment(judgment) => {
            let step = Step::new(
                "Wait for a judgment",
                StepAction::ManualJudgment {
                    options: judgment.options,
                },
            );
            // The stage's own timeout, when it has one, is the task's deadline instead.
            vec![if stage_timeout(&context).is_some() {
                step
            } else {
                step.with_timeout(JUDGMENT_TIMEOUT)
            }]
        }
        StageSettings::CheckPreconditions(checks) => preconditions(execution, checks)?,
        StageSettings::EvaluateVariables(variables) => {
            let outputs: Map<String, Value> = variables.into_iter().collect();
            vec![Step::new(
                format!("Evaluate {} variable(s)", outputs.len()),
                StepAction::Record { outputs },
            )]
        }
        StageSettings::Pipeline(run) => {
            let application = run
                .application
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| execution.application.clone());
            let parameters = run
                .parameters
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            let label = if run.wait_for_completion {
                format!("Run pipeline {} and wait for it", run.pipeline)
            } else {
                format!("Start pipeline {}", run.pipeline)
            };
            vec![Step::new(
                label,
                StepAction::RunPipeline {
                    application,
                    pipeline: run.pipeline,
                    parameters,
                    execution: child,
                    wait: run.wait_for_completion,
                    deployed: None,
                },
            )]
        }
        StageSettings::Webhook(webhook) => {
            let mut steps = vec![Step::new(
                format!("Call {} {}", webhook.method, webhook.url),
                StepAction::CallWebhook {
                    request: Box::new(WebhookRequest {
                        url: webhook.url.clone(),
                        method: webhook.method.clone(),
                        headers: webhook.headers.clone(),
                        payload: webhook.payload.clone(),
                        fail_fast_status_codes: webhook.fail_fast_status_codes.clone(),
                        retry_status_codes: webhook.retry_status_codes.clone(),
                    }),
                },
            )];
            if webhook.wait_for_completion {
                steps.push(Step::new(
                    "Wait for the webhook's status",
                    StepAction::MonitorWebhook {
                        monitor: Box::new(WebhookMonitor {
                            status_url_resolution: webhook.status_url_resolution.clone(),
                            status_url_json_path: webhook.status_url_json_path.clone(),
                            status_json_path: webhook.status_json_path.clone().unwrap_or_default(),
                            success_statuses: webhook.success_statuses.clone(),
                            canceled_statuses: webhook.canceled_statuses.clone(),
                            terminal_statuses: webhook.terminal_statuses.clone(),
                            headers: webhook.headers.clone(),
                            poll_seconds: WEBHOOK_POLL_SECONDS,
                        }),
                    },
                ));
            }
            steps
        }
        StageSettings::DeployManifest(deploy) => {
            let namespace = deploy
                .namespace_override
                .clone()
                .unwrap_or_else(|| "default".to_string());
            kubernetes
                .connection_for(&deploy.account, &namespace)
                .map_err(|e| e.to_string())?;
            let text = serde_json::to_string(&deploy.manifests).map_err(|e| e.to_string())?;
            let documents = manifests::parse_documents(&text)
                .or_else(|_| {
                    // A list of objects is one JSON document; each item is checked on its own.
                    let mut all = Vec::new();
                    for item in &deploy.manifests {
                        all.extend(manifests::parse_documents(&item.to_string())?);
                    }
                    Ok::<_, crate::kubernetes::Error>(all)
                })
                .map_err(|e| e.to_string())?;
            let documents: Vec<Value> = documents
                .into_iter()
                .map(|mut d| {
                    if let Some(ns) = &deploy.namespace_override {
                        d["metadata"]["namespace"] = json!(ns);
                    }
                    d
                })
                .collect();
            let objects = documents
                .iter()
                .map(|d| {
                    let (name, ns) = manifests::identity(d);
                    ManifestRef {
                        account: deploy.account.clone(),
                        namespace: ns.unwrap_or_else(|| namespace.clone()),
                        kind: d["kind"].as_str().unwrap_or_default().to_string(),
                        name,
                    }
                })
                .collect();
            vec![
                Step::new(
                    format!(
                        "Apply {} object(s) (server-side, field manager gennaker)",
                        documents.len()
                    ),
                    StepAction::Apply {
                        account: deploy.account.clone(),
                        namespace: namespace.clone(),
                        documents,
                    },
                ),
                Step::new(
                    "Wait for the objects to be stable",
                    StepAction::WaitForManifests {
                        account: deploy.account,
                        namespace,
                        objects,
                    },
                ),
            ]
        }
        StageSettings::DeleteManifest(target) => {
            let target = manifest_ref(kubernetes, target)?;
            vec![Step::new(
                format!("Delete {} {}", target.kind, target.name),
                StepAction::Delete { target },
            )]
        }
        StageSettings::ScaleManifest(target, replicas) => {
            let target = manifest_ref(kubernetes, target)?;
            if let Some(problem) = replicas_problem(replicas) {
                return Err(format!("replicas: {problem}"));
            }
            vec![
                Step::new(
                    format!("Scale {} {} to {replicas}", target.kind, target.name),
                    StepAction::Scale {
                        target: target.clone(),
                        replicas,
                    },
                ),
                wait_for_object(target),
            ]
        }
        StageSettings::UndoRolloutManifest(target, revisions_back) => {
            let target = manifest_ref(kubernetes, target)?;
            let kind = target.kind.to_ascii_lowercase();
            if !["deployment", "deployments", "deployment.apps", "deploy"].contains(&kind.as_str())
                && !kind.starts_with("deployment.")
            {
                return Err(format!(
                    "manifestName: Undo Rollout rolls back Deployments, not {}",
                    target.kind
                ));
            }
            let deployment = ObjectRef {
                account: target.account.clone(),
                namespace: target.namespace.clone(),
                name: target.name.clone(),
            };
            vec![
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
            ]
        }
        StageSettings::ResizeServerGroup(target, resize) => {
            let (mut steps, picked) = pick(kubernetes, target)?;
            steps.push(Step::new(
                format!("Resize it {}", resize.describe()),
                StepAction::ResizeServerGroup {
                    target: picked.clone(),
                    resize,
                },
            ));
            steps.push(builders::wait_for_healthy(&picked, None));
            steps
        }
        StageSettings::DisableServerGroup(target) => {
            let (mut steps, picked) = pick(kubernetes, target)?;
            steps.extend(builders::disable(&picked));
            steps
        }
        StageSettings::EnableServerGroup(target) => {
            let (mut steps, picked) = pick(kubernetes, target)?;
            steps.extend(builders::enable(&picked));
            steps
        }
        StageSettings::DestroyServerGroup(target) => {
            let (mut steps, target) = pick(kubernetes, target)?;
            steps.push(Step::new(
                "Delete its ReplicaSet",
                StepAction::DeleteReplicaSet {
                    target: target.clone(),
                },
            ));
            steps.push(Step::new(
                "Wait until it is gone",
                StepAction::WaitForServerGroupDeleted { target },
            ));
            steps
        }
        StageSettings::FindImage(find) => {
            let ClusterRef {
                account,
                namespace,
                cluster,
            } = checked_cluster(kubernetes, find.cluster)?;
            vec![Step::new(
                format!("Find the image of cluster {cluster}"),
                StepAction::FindImage {
                    account,
                    namespace,
                    cluster,
                    pick: find.pick,
                    only_enabled: find.only_enabled,
                },
            )]
        }
        StageSettings::Jenkins(build) => {
            jenkins.check(&build.master).map_err(|e| e.to_string())?;
            let (master, job) = (build.master, build.job);
            let mut steps = vec![
                Step::new(
                    format!("Start Jenkins job {job} on {master}"),
                    StepAction::StartJenkinsJob {
                        master: master.clone(),
                        job: job.clone(),
                        parameters: build.parameters,
                    },
                ),
                Step::new(
                    "Wait for the build to leave the queue",
                    StepAction::WaitForJenkinsQueue {
                        master: master.clone(),
                        job: job.clone(),
                    },
                ),
            ];
            if build.wait_for_completion {
                let wait = Step::new(
                    format!("Wait for the build of {job} to finish"),
                    StepAction::WaitForJenkinsBuild {
                        master,
                        job: job.clone(),
                        property_file: build.property_file,
                    },
                );
                steps.push(if stage_timeout(&context).is_some() {
                    wait
                } else {
                    wait.with_timeout(super::jobs::JOB_TIMEOUT)
                });
                steps.push(Step::new(
                    "Check the build's result",
                    StepAction::CheckJenkinsBuild {
                        job,
                        unstable_is_success: build.unstable_is_success,
                    },
                ));
            }
            steps
        }
        StageSettings::RunJob(run) => super::jobs::run_job(
            kubernetes,
            &execution.application,
            run,
            stage_timeout(&context).is_some(),
        )?,
        StageSettings::Script(script) => super::jobs::script(
            kubernetes,
            &execution.application,
            script,
            stage_timeout(&context).is_some(),
        )?,
        StageSettings::ScaleDownCluster(cleanup) => {
            let cleanup = cluster_cleanup(execution, kubernetes, cleanup)?;
            vec![Step::new(
                format!(
                    "Scale down {} but {} full-size server group(s)",
                    cleanup.cluster, cleanup.keep
                ),
                StepAction::ScaleDownClusterExcess { cleanup },
            )]
        }
        StageSettings::ShrinkCluster(cleanup) => {
            let cleanup = cluster_cleanup(execution, kubernetes, cleanup)?;
            vec![Step::new(
                format!(
                    "Shrink {} to {} server group(s)",
                    cleanup.cluster, cleanup.keep
                ),
                StepAction::DeleteClusterExcess { cleanup },
            )]
        }
        StageSettings::Deploy(clusters) => {
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
                    return Err(format!("clusters[{i}]: {}", problems(spec_problems)));
                }
                let account = kubernetes
                    .account(&spec.account)
                    .map_err(|e| e.to_string())?;
                kubernetes
                    .connection_for(&spec.account, &spec.namespace)
                    .map_err(|e| e.to_string())?;
                let registry =
                    registries.for_image(&spec.image, &account.settings.docker_registries);
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
            steps
        }
    };
    let mut window_problems = Vec::new();
    let window = windows::read(&config, "", false, &mut window_problems);
    if !window_problems.is_empty() {
        return Err(problems(window_problems));
    }
    let steps = match window {
        Some((window, jitter)) => {
            crate::tasks::windows::zone(&window.time_zone)?;
            let manual = execution.trigger.kind == "manual";
            let jitter_seconds = jitter
                .filter(|j| !(j.skip_manual && manual))
                .map_or(0, |j| fastrand::u64(j.min_seconds..=j.max_seconds));
            let mut all = vec![Step::new(
                WINDOW_STEP,
                StepAction::ExecutionWindow {
                    window,
                    jitter_seconds,
                },
            )];
            all.extend(steps);
            all
        }
        None => steps,
    };
    Ok(Planned { context, steps })
}

fn manifest_ref(kubernetes: &Kubernetes, target: ManifestTarget) -> Result<ManifestRef, String> {
    kubernetes
        .connection_for(&target.account, &target.namespace)
        .map_err(|e| e.to_string())?;
    if target.kind.trim().is_empty() || target.name.trim().is_empty() {
        return Err("manifestName: give the kind and the name of the object".into());
    }
    Ok(ManifestRef {
        account: target.account,
        namespace: target.namespace,
        kind: target.kind,
        name: target.name,
    })
}

/// Red/Black's and Rolling Red/Black's `scaleDown`: the disabled server groups of the cluster
/// go to 0, after `delayBeforeScaleDownSec`.
fn scale_down(
    cluster: &stages::DeployCluster,
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

/// Waits until a scaled or rolled back object is stable again.
fn wait_for_object(target: ManifestRef) -> Step {
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
fn checked_cluster(kubernetes: &Kubernetes, cluster: ClusterRef) -> Result<ClusterRef, String> {
    kubernetes
        .connection_for(&cluster.account, &cluster.namespace)
        .map_err(|e| e.to_string())?;
    Ok(cluster)
}

/// The step that picks a server group stage's target when it runs, and the target the steps
/// after it act on.
fn pick(kubernetes: &Kubernetes, target: ClusterTarget) -> Result<(Vec<Step>, Target), String> {
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

/// Shrink Cluster's or Scale Down Cluster's settings, sparing what this execution deployed.
fn cluster_cleanup(
    execution: &Execution,
    kubernetes: &Kubernetes,
    cleanup: Cleanup,
) -> Result<ClusterCleanup, String> {
    let cluster = checked_cluster(kubernetes, cleanup.cluster)?;
    Ok(ClusterCleanup {
        exclude: deployed_here(execution, &cluster),
        account: cluster.account,
        namespace: cluster.namespace,
        cluster: cluster.cluster,
        keep: cleanup.keep,
        prefer_larger: cleanup.prefer_larger,
        allow_active: cleanup.allow_active,
    })
}

/// The image a Find Image from Cluster stage (`ref_id`) found, for a Deploy stage.
/// The image whose push started `execution` (a Docker Registry trigger's, or the newest tag
/// a manual start chose): `registry/repository:tag`, pinned to its digest when known.
fn trigger_image(execution: &Execution) -> Result<String, String> {
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
        return Err("the image comes from the Docker Registry trigger, and this execution has no image in its trigger (it was not started by a push, and no tag of the trigger's repository was found when it started)".to_string());
    };
    Ok(match field("digest") {
        Some(digest) => format!("{registry}/{repository}:{tag}@{digest}"),
        None => format!("{registry}/{repository}:{tag}"),
    })
}

fn found_image(execution: &Execution, ref_id: &str) -> Result<String, String> {
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
            format!(
                "the image comes from stage {:?}, which has found no image (it must run before this stage)",
                stage.name
            )
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

/// The stage's own timeout in the (evaluated) context, when it overrides the default.
pub fn stage_timeout(context: &Map<String, Value>) -> Option<Duration> {
    let overridden = context.get("overrideTimeout").and_then(Value::as_bool) == Some(true);
    let ms = context.get("stageTimeoutMs").and_then(Value::as_u64)?;
    overridden.then(|| Duration::from_millis(ms))
}

fn preconditions(execution: &Execution, checks: Vec<Precondition>) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for check in checks {
        match check {
            Precondition::Expression {
                expression,
                failure_message,
                fail_pipeline,
            } => {
                let holds = match &expression {
                    Value::Bool(b) => *b,
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    other => {
                        return Err(format!(
                            "the precondition's expression gave {other}, not true or false"
                        ));
                    }
                };
                let message = if holds {
                    "the expression is true".to_string()
                } else {
                    failure_message.unwrap_or_else(|| "the expression is false".to_string())
                };
                steps.push(precondition_step(holds, fail_pipeline, message));
            }
            Precondition::StageStatus {
                stage_name,
                status,
                fail_pipeline,
            } => {
                let actual = execution
                    .stages
                    .iter()
                    .find(|s| s.name == stage_name)
                    .map(|s| s.status.as_str())
                    .ok_or_else(|| format!("there is no stage named {stage_name:?}"))?;
                let holds = actual.eq_ignore_ascii_case(&status);
                let message = format!("stage {stage_name:?} is {actual} (expected {status})");
                steps.push(precondition_step(holds, fail_pipeline, message));
            }
            Precondition::ClusterSize {
                account,
                namespace,
                cluster,
                comparison,
                expected,
                only_enabled,
                ..
            } => steps.push(Step::new(
                format!("Check the size of cluster {cluster}"),
                StepAction::CheckClusterSize {
                    account,
                    namespace: if namespace.is_empty() {
                        "default".into()
                    } else {
                        namespace
                    },
                    cluster,
                    comparison,
                    expected: expected.ok_or("the expected cluster size is missing")?,
                    only_enabled,
                },
            )),
        }
    }
    Ok(steps)
}

/// A check decided at planning; one with `failPipeline: false` only notes its failure.
fn precondition_step(holds: bool, fail_pipeline: bool, message: String) -> Step {
    let (passed, message) = match (holds, fail_pipeline) {
        (true, _) => (true, message),
        (false, true) => (false, message),
        (false, false) => (true, format!("{message} (ignored: failPipeline is false)")),
    };
    Step::new(
        "Check a precondition",
        StepAction::Precondition { passed, message },
    )
}
