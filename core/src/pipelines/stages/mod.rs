//! The settings of each stage type Gennaker runs, read from Spinnaker's field names: one module
//! per type, named as the type is (`wait`, `manual_judgment`, `deploy`…), each with its settings
//! and its reading; what several share is in [`targets`]. Reading before a run (lenient:
//! expressions stand for any value) validates what can be validated; reading at a run (strict:
//! the settings were evaluated) gives the values the stage acts on.

mod bake_manifest;
mod check_preconditions;
mod deploy;
mod deploy_manifest;
mod evaluate_variables;
mod find_image_from_cluster;
mod jenkins;
mod manual_judgment;
mod pipeline;
mod resize_server_group;
mod run_job_manifest;
mod scale_down_cluster;
mod scale_manifest;
mod script;
mod shrink_cluster;
mod targets;
mod undo_rollout_manifest;
mod wait;
mod webhook;

use serde_json::Value;

use super::artifacts;
use super::model::{Stage, StageType};
use super::reader::Reader;
use crate::error::FieldError;
use crate::tasks::model::Resize;

pub use bake_manifest::BakeManifest;
pub use check_preconditions::Precondition;
pub use deploy::{DEFAULT_PERCENTAGES, DeployCluster, Strategy, StrategyPipeline};
pub use deploy_manifest::{ArtifactChoice, DeployManifest, ManifestSource, is_replica_set};
pub use find_image_from_cluster::FindImage;
pub use jenkins::JenkinsBuild;
pub use manual_judgment::ManualJudgment;
pub use pipeline::RunPipeline;
pub use run_job_manifest::RunJob;
pub use script::Script;
pub use targets::{Cleanup, ClusterRef, ClusterTarget, ManifestObjects, ManifestTarget};
pub use wait::Wait;
pub use webhook::Webhook;

/// A stage's settings, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum StageSettings {
    Wait(Wait),
    ManualJudgment(ManualJudgment),
    CheckPreconditions(Vec<Precondition>),
    EvaluateVariables(Vec<(String, Value)>),
    Pipeline(RunPipeline),
    Webhook(Box<Webhook>),
    DeployManifest(DeployManifest),
    BakeManifest(Box<BakeManifest>),
    DeleteManifest(ManifestTarget),
    Deploy(Vec<DeployCluster>),
    ResizeServerGroup(ClusterTarget, Resize),
    DisableServerGroup(ClusterTarget),
    EnableServerGroup(ClusterTarget),
    DestroyServerGroup(ClusterTarget),
    FindImage(FindImage),
    ScaleDownCluster(Cleanup),
    ShrinkCluster(Cleanup),
    ScaleManifest(ManifestTarget, i64),
    UndoRolloutManifest(ManifestTarget, u64),
    RollingRestartManifest(ManifestTarget),
    RunJob(RunJob),
    Script(Script),
    Jenkins(JenkinsBuild),
}

/// Reads `stage`'s settings; problems go to `errors` with paths under `path`.
pub fn read(
    kind: StageType,
    stage: &Stage,
    path: &str,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> StageSettings {
    let mut r = Reader::new(&stage.settings, path, lenient, errors);
    let r = &mut r;
    match kind {
        StageType::Wait => StageSettings::Wait(wait::read(r)),
        StageType::ManualJudgment => StageSettings::ManualJudgment(manual_judgment::read(r)),
        StageType::CheckPreconditions => {
            StageSettings::CheckPreconditions(check_preconditions::read(r))
        }
        StageType::EvaluateVariables => {
            StageSettings::EvaluateVariables(evaluate_variables::read(r))
        }
        StageType::Pipeline => StageSettings::Pipeline(pipeline::read(r)),
        StageType::Webhook => StageSettings::Webhook(Box::new(webhook::read(r))),
        StageType::DeployManifest => StageSettings::DeployManifest(deploy_manifest::read(r)),
        StageType::BakeManifest => StageSettings::BakeManifest(Box::new(bake_manifest::read(r))),
        StageType::DeleteManifest => StageSettings::DeleteManifest(targets::manifest_target(r)),
        StageType::ScaleManifest => {
            let (target, replicas) = scale_manifest::read(r);
            StageSettings::ScaleManifest(target, replicas)
        }
        StageType::UndoRolloutManifest => {
            let (target, back) = undo_rollout_manifest::read(r);
            StageSettings::UndoRolloutManifest(target, back)
        }
        StageType::RollingRestartManifest => {
            StageSettings::RollingRestartManifest(targets::manifest_target(r))
        }
        StageType::ResizeServerGroup => {
            let (target, resize) = resize_server_group::read(r);
            StageSettings::ResizeServerGroup(target, resize)
        }
        StageType::DisableServerGroup => {
            StageSettings::DisableServerGroup(targets::cluster_target(r))
        }
        StageType::EnableServerGroup => {
            StageSettings::EnableServerGroup(targets::cluster_target(r))
        }
        StageType::DestroyServerGroup => {
            StageSettings::DestroyServerGroup(targets::cluster_target(r))
        }
        StageType::FindImageFromCluster => {
            StageSettings::FindImage(find_image_from_cluster::read(r))
        }
        StageType::ScaleDownCluster => StageSettings::ScaleDownCluster(scale_down_cluster::read(r)),
        StageType::ShrinkCluster => StageSettings::ShrinkCluster(shrink_cluster::read(r)),
        StageType::RunJobManifest => StageSettings::RunJob(run_job_manifest::read(r)),
        StageType::Jenkins => StageSettings::Jenkins(jenkins::read(r)),
        StageType::Script => StageSettings::Script(script::read(r)),
        StageType::Deploy => StageSettings::Deploy(deploy::read(r)),
    }
}

/// Spinnaker's manifest annotations Gennaker does not act on yet, and what they do.
pub const UNSUPPORTED_ANNOTATIONS: [(&str, &str); 2] = [
    (
        "strategy.spinnaker.io/max-version-history",
        "deleting old versions after a deploy",
    ),
    (
        "strategy.spinnaker.io/recreate",
        "deleting an object before applying it",
    ),
];

/// Features of supported stage types that Gennaker does not run yet; a pipeline using one
/// is kept but cannot start. Each entry names the place and the feature.
pub fn unsupported_features(stage: &Stage, path: &str) -> Vec<FieldError> {
    let mut found = Vec::new();
    let mut note = |place: String, what: &str| found.push(FieldError::new(&place, what));
    match StageType::parse(&stage.kind) {
        Some(StageType::Deploy) => {
            for (i, cluster) in clusters(stage).iter().enumerate() {
                let containers = cluster
                    .get("containers")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if containers > 1 {
                    note(
                        format!("{path}.clusters[{i}].containers"),
                        "a server group with more than one container is not supported yet",
                    );
                }
                if cluster
                    .pointer("/deployment/enabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                {
                    note(
                        format!("{path}.clusters[{i}].deployment"),
                        "deploying as a Kubernetes Deployment is not supported yet (use Deploy (Manifest))",
                    );
                }
            }
        }
        Some(StageType::DeployManifest) => {
            let written = stage
                .settings
                .get("manifests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, manifest) in written.iter().enumerate() {
                for (key, what) in UNSUPPORTED_ANNOTATIONS {
                    if manifest
                        .pointer("/metadata/annotations")
                        .and_then(|a| a.get(key))
                        .is_some()
                    {
                        note(
                            format!("{path}.manifests[{i}].metadata.annotations"),
                            &format!(
                                "{key} ({what}) is not supported yet; remove the annotation to deploy the manifest"
                            ),
                        );
                    }
                }
            }
            let kind = stage
                .settings
                .get("manifestArtifact")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str);
            if let Some(kind) = kind.filter(|k| !artifacts::CONTENT_TYPES.contains(k)) {
                note(
                    format!("{path}.manifestArtifact.type"),
                    &format!(
                        "manifests cannot be read from a {kind} artifact yet; Gennaker reads them from {}",
                        artifacts::CONTENT_TYPES.join(", ")
                    ),
                );
            }
        }
        Some(StageType::BakeManifest) => {
            let inputs = stage
                .settings
                .get("inputArtifacts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .chain(stage.settings.get("inputArtifact").cloned());
            for (i, input) in inputs.enumerate() {
                let kind = input.pointer("/artifact/type").and_then(Value::as_str);
                if kind == Some("helm/chart") {
                    note(
                        format!("{path}.inputArtifacts[{i}].artifact.type"),
                        "charts from a Helm repository (helm/chart) are not read yet; give the chart as a git/repo, or a packaged chart as http/file",
                    );
                }
            }
        }
        _ => {}
    }
    found
}

fn clusters(stage: &Stage) -> Vec<Value> {
    stage
        .settings
        .get("clusters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::model::{ImagePick, ServerGroupPick};
    use serde_json::json;

    fn stage(kind: &str, settings: Value) -> Stage {
        let mut value = settings;
        value["refId"] = json!("1");
        value["type"] = json!(kind);
        value["name"] = json!("A stage");
        serde_json::from_value(value).unwrap()
    }

    fn problems(kind: StageType, settings: Value, lenient: bool) -> Vec<FieldError> {
        let mut errors = Vec::new();
        read(
            kind,
            &stage(kind.as_str(), settings),
            "stages[0]",
            lenient,
            &mut errors,
        );
        errors
    }

    #[test]
    fn a_wait_takes_seconds_or_an_expression() {
        let mut errors = Vec::new();
        let settings = read(
            StageType::Wait,
            &stage("wait", json!({"waitTime": "30"})),
            "stages[0]",
            false,
            &mut errors,
        );
        assert_eq!(settings, StageSettings::Wait(Wait { seconds: Some(30) }));
        assert!(
            problems(
                StageType::Wait,
                json!({"waitTime": "${parameters.seconds}"}),
                true
            )
            .is_empty()
        );
        let bad = problems(StageType::Wait, json!({"waitTime": "soon"}), true);
        assert_eq!(bad[0].field, "stages[0].waitTime");
        let syntax = problems(StageType::Wait, json!({"waitTime": "${parameters.}"}), true);
        assert!(syntax[0].message.contains("column"), "{syntax:?}");
        let missing = problems(StageType::Wait, json!({}), true);
        assert_eq!(missing[0].message, "Give the time to wait, in seconds.");
    }

    #[test]
    fn a_deploy_cluster_as_deck_writes_it_becomes_a_server_group_spec() {
        let mut errors = Vec::new();
        let deploy = stage(
            "deploy",
            json!({"clusters": [{
                "account": "local", "application": "web", "cloudProvider": "kubernetes",
                "namespace": "prod", "region": "prod", "stack": "main", "freeFormDetails": "eu",
                "targetSize": 3, "strategy": "redblack", "maxRemainingAsgs": 2, "scaleDown": true,
                "delayBeforeScaleDownSec": 60, "rollback": {"onFailure": true},
                "loadBalancers": ["web-main"], "nodeSelector": {"pool": "web"},
                "containers": [{"name": "web", "imageDescription": {"registry": "registry.example.com",
                    "repository": "team/web", "tag": "1.2.3", "fromTrigger": false},
                    "command": ["/web"], "args": ["--port", "8080"],
                    "envVars": [{"name": "MODE", "value": "prod"}],
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}}],
                "podAnnotations": {"kept": "yes"}
            }]}),
        );
        let StageSettings::Deploy(clusters) =
            read(StageType::Deploy, &deploy, "stages[0]", false, &mut errors)
        else {
            panic!("a deploy");
        };
        assert!(errors.is_empty(), "{errors:?}");
        let c = &clusters[0];
        assert_eq!(c.strategy, Strategy::RedBlack);
        assert_eq!(
            (c.max_remaining, c.scale_down, c.delay_before_scale_down_sec),
            (2, true, 60)
        );
        assert!(c.rollback_on_failure);
        assert_eq!(c.spec.cluster(), "web-main-eu");
        assert_eq!(c.spec.image, "registry.example.com/team/web:1.2.3");
        assert_eq!(c.spec.replicas, 3);
        assert_eq!(c.spec.namespace, "prod");
        assert_eq!(c.spec.ports[0].container_port, 8080);
        assert_eq!(c.spec.resources.cpu_limit, "500m");
        assert_eq!(
            c.spec.node_selector.get("pool").map(String::as_str),
            Some("web")
        );
        assert!(c.spec.validate().is_empty(), "{:?}", c.spec.validate());
    }

    #[test]
    fn unknown_strategies_and_types_are_named_with_their_path() {
        let bad = problems(
            StageType::Deploy,
            json!({"clusters": [{"strategy": "canary", "targetSize": "many"}]}),
            true,
        );
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"stages[0].clusters[0].strategy"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"stages[0].clusters[0].targetSize"),
            "{fields:?}"
        );
    }

    #[test]
    fn features_not_run_yet_are_named_but_do_not_stop_a_save() {
        let deploy = stage(
            "deploy",
            json!({"clusters": [{"deployment": {"enabled": true},
                "containers": [{"imageDescription": {"fromTrigger": true, "tag": "^v.*"}}]}]}),
        );
        let found = unsupported_features(&deploy, "stages[3]");
        assert_eq!(found[0].field, "stages[3].clusters[0].deployment");
    }

    #[test]
    fn an_image_from_the_trigger_is_found_at_the_run() {
        let mut errors = Vec::new();
        let deploy = stage(
            "deploy",
            json!({"clusters": [{"account": "local", "namespace": "shop", "strategy": "highlander",
                "containers": [{"imageDescription": {"fromTrigger": true, "registry": "r.example.com",
                    "repository": "team/web", "tag": "^v.*"}}]}]}),
        );
        let StageSettings::Deploy(clusters) =
            read(StageType::Deploy, &deploy, "stages[0]", true, &mut errors)
        else {
            panic!("a deploy");
        };
        assert!(errors.is_empty(), "{errors:?}");
        assert!(clusters[0].image_from_trigger);
        assert_eq!(clusters[0].spec.image, "");
    }

    #[test]
    fn webhooks_and_preconditions_are_checked() {
        let bad = problems(
            StageType::Webhook,
            json!({"url": "ftp://x", "method": "fetch", "waitForCompletion": true}),
            true,
        );
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "stages[0].url",
                "stages[0].method",
                "stages[0].statusJsonPath"
            ]
        );
        let pre = problems(
            StageType::CheckPreconditions,
            json!({"preconditions": [{"type": "expression", "context": {"expression": "${1 +}"}}, {"type": "weather", "context": {}}]}),
            true,
        );
        assert_eq!(pre.len(), 2, "{pre:?}");
        assert_eq!(
            pre[0].field,
            "stages[0].preconditions[0].context.expression"
        );
    }

    #[test]
    fn server_group_stages_read_deck_targets_and_resizes() {
        let read_one = |kind: StageType, settings: Value| {
            let mut errors = Vec::new();
            let read = read(
                kind,
                &stage(kind.as_str(), settings),
                "stages[0]",
                false,
                &mut errors,
            );
            (read, errors)
        };
        let (settings, errors) = read_one(
            StageType::ResizeServerGroup,
            json!({"credentials": "local", "namespaces": ["prod"], "cluster": "web-main",
                   "target": "ancestor_asg_dynamic", "action": "scale_up", "resizeType": "pct", "scalePct": 50}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let StageSettings::ResizeServerGroup(target, resize) = settings else {
            panic!("a resize");
        };
        assert_eq!(target.pick, ServerGroupPick::Previous);
        assert_eq!(
            (
                target.cluster.account.as_str(),
                target.cluster.namespace.as_str(),
                target.cluster.cluster.as_str()
            ),
            ("local", "prod", "web-main")
        );
        assert_eq!(resize, Resize::Percent { percent: 50 });
        assert_eq!(resize.apply(3), 5, "3 up by 50 % rounds up");
        assert_eq!(Resize::Percent { percent: -50 }.apply(3), 1);
        assert_eq!(Resize::By { delta: -5 }.apply(3), 0, "never below 0");

        let (settings, errors) = read_one(
            StageType::DestroyServerGroup,
            json!({"credentials": "local", "regions": ["prod"], "serverGroupName": "web-main-v002"}),
        );
        assert!(
            errors.is_empty(),
            "a named target needs no cluster: {errors:?}"
        );
        assert!(
            matches!(settings, StageSettings::DestroyServerGroup(ClusterTarget {
            pick: ServerGroupPick::Named { ref name }, .. }) if name == "web-main-v002")
        );

        let bad = problems(
            StageType::ResizeServerGroup,
            json!({"credentials": "local", "cluster": "web", "target": "biggest", "action": "scale_exact"}),
            true,
        );
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "stages[0].target",
                "stages[0].namespaces",
                "stages[0].capacity"
            ]
        );
        assert!(bad[0].message.contains("current_asg_dynamic"), "{bad:?}");

        let cleanup = problems(
            StageType::ShrinkCluster,
            json!({"credentials": "local", "namespaces": ["prod"], "shrinkToSize": "two"}),
            true,
        );
        let fields: Vec<&str> = cleanup.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["stages[0].cluster", "stages[0].shrinkToSize"]);
    }

    #[test]
    fn manifest_stages_and_an_image_from_a_find_image_stage() {
        let bad = problems(
            StageType::UndoRolloutManifest,
            json!({"account": "local", "location": "prod", "manifestName": "web", "numRevisionsBack": 0}),
            true,
        );
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["stages[0].manifestName", "stages[0].numRevisionsBack"]
        );
        let scale = problems(
            StageType::ScaleManifest,
            json!({"account": "local", "location": "prod", "manifestName": "deployment web", "replicas": "${parameters.n}"}),
            true,
        );
        assert!(scale.is_empty(), "{scale:?}");

        let mut errors = Vec::new();
        let deploy = stage(
            "deploy",
            json!({"clusters": [{"account": "local", "namespace": "prod", "stack": "main", "targetSize": 1,
                "containers": [{"name": "web", "imageDescription": {"fromContext": true, "stageId": "2", "cluster": "web-main"}}]}]}),
        );
        let StageSettings::Deploy(clusters) =
            read(StageType::Deploy, &deploy, "stages[0]", true, &mut errors)
        else {
            panic!("a deploy");
        };
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(clusters[0].image_from_stage.as_deref(), Some("2"));
        assert_eq!(clusters[0].spec.image, "");
    }

    #[test]
    fn targets_read_as_deck_and_older_exports_write_them() {
        assert_eq!(
            ServerGroupPick::parse("current_asg_dynamic"),
            Some(ServerGroupPick::Newest)
        );
        assert_eq!(
            ServerGroupPick::parse("current_asg"),
            Some(ServerGroupPick::Newest)
        );
        assert_eq!(
            ServerGroupPick::parse("oldest_asg_dynamic"),
            Some(ServerGroupPick::Oldest)
        );
        assert_eq!(ServerGroupPick::parse("newest"), None);
        assert_eq!(
            ServerGroupPick::Largest.describe(),
            "the largest server group"
        );
        assert_eq!(ImagePick::parse("largest"), Some(ImagePick::Largest));
    }

    #[test]
    fn manifest_targets_read_each_of_decks_modes() {
        use crate::tasks::model::{Criteria, LabelSelector, ManifestSelector, SelectorKind};
        let read_target = |settings: Value| {
            let mut errors = Vec::new();
            let read = read(
                StageType::DeleteManifest,
                &stage("deleteManifest", settings),
                "stages[0]",
                false,
                &mut errors,
            );
            let StageSettings::DeleteManifest(target) = read else {
                panic!("a delete");
            };
            (target, errors)
        };
        let (target, errors) = read_target(
            json!({"account": "local", "location": "prod", "mode": "static", "manifestName": "deployment web"}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            target.objects,
            ManifestObjects::Named {
                kind: "deployment".into(),
                name: "web".into()
            }
        );

        let (target, errors) = read_target(json!({"account": "local", "location": "prod",
            "mode": "dynamic", "cluster": "replicaSet web", "criteria": "second_newest", "app": "shop"}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            target.objects,
            ManifestObjects::Selected(ManifestSelector::Dynamic {
                application: Some("shop".into()),
                cluster: "replicaSet web".into(),
                kind: "replicaSet".into(),
                criteria: Criteria::SecondNewest,
            }),
            "the kind comes from the cluster when not given"
        );

        let (target, errors) = read_target(json!({"account": "local", "location": "prod",
            "mode": "label", "kinds": ["deployment", "configMap"],
            "labelSelectors": {"selectors": [{"kind": "EQUALS", "key": "app", "values": ["web"]}, {"kind": "NOT_EXISTS", "key": "keep"}]}}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            target.objects,
            ManifestObjects::Selected(ManifestSelector::Label {
                kinds: vec!["deployment".into(), "configMap".into()],
                selectors: vec![
                    LabelSelector {
                        kind: SelectorKind::Equals,
                        key: "app".into(),
                        values: vec!["web".into()]
                    },
                    LabelSelector {
                        kind: SelectorKind::NotExists,
                        key: "keep".into(),
                        values: vec![]
                    },
                ],
            })
        );

        let messages = |settings: Value| {
            read_target(settings)
                .1
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let bad = messages(
            json!({"account": "local", "location": "prod", "mode": "dynamic",
            "cluster": "web", "criteria": "biggest"}),
        );
        assert!(
            bad.contains("stages[0].criteria: \"biggest\" is not a criteria"),
            "{bad}"
        );
        assert!(bad.contains("stages[0].kind: Give the kind"), "{bad}");
        let bad = messages(
            json!({"account": "local", "location": "prod", "mode": "label", "kinds": ["deployment"]}),
        );
        assert!(
            bad.contains("stages[0].labelSelectors: Give at least one label selector"),
            "{bad}"
        );
        let bad = messages(
            json!({"account": "local", "location": "prod", "mode": "label", "kinds": [],
            "labelSelectors": {"selectors": [{"kind": "EQUALS", "key": "app", "values": ["a,b"]}]}}),
        );
        assert!(bad.contains("stages[0].kinds: Choose the kinds"), "{bad}");
        assert!(
            bad.contains("stages[0].labelSelectors.selectors[0].key: \"a,b\" is not a label value"),
            "{bad}"
        );
        let bad = messages(json!({"account": "local", "location": "prod", "mode": "everything"}));
        assert!(
            bad.contains("stages[0].mode: \"everything\" is not a mode"),
            "{bad}"
        );

        let mut errors = Vec::new();
        read(
            StageType::DeleteManifest,
            &stage(
                "deleteManifest",
                json!({"account": "local", "location": "prod", "mode": "dynamic",
                "cluster": "${parameters.cluster}", "criteria": "${parameters.which}"}),
            ),
            "stages[0]",
            true,
            &mut errors,
        );
        assert!(
            errors.is_empty(),
            "expressions are known when the stage runs: {errors:?}"
        );
    }

    #[test]
    fn decks_older_run_job_is_run_job_manifest() {
        assert_eq!(StageType::parse("runJob"), Some(StageType::RunJobManifest));
        let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox"}]}}}});
        let errors = problems(
            StageType::RunJobManifest,
            json!({"account": "local", "cloudProvider": "kubernetes", "source": "text", "manifest": job}),
            false,
        );
        assert!(errors.is_empty(), "{errors:?}");
    }
}
