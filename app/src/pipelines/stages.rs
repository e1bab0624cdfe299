//! The settings of each stage type Gennaker runs, read from Spinnaker's field names. Reading
//! before a run (lenient: expressions stand for any value) validates what can be validated;
//! reading at a run (strict: the settings were evaluated) gives the values the stage acts on.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Stage, StageType};
use super::reader::Reader;
use crate::error::FieldError;
use crate::infrastructure::server_groups::{
    ContainerPort, EnvVar, Protocol, Resources, ServerGroupSpec,
};
use crate::tasks::model::{ImagePick, Resize, ServerGroupPick};

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
    RunJob(RunJob),
    Script(Script),
    Jenkins(JenkinsBuild),
}

/// A cluster of an account and namespace, as the cluster stages name it (`credentials`,
/// `namespaces[0]` or `regions[0]`, `cluster`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterRef {
    pub account: String,
    pub namespace: String,
    pub cluster: String,
}

/// The server group a server group stage acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTarget {
    pub cluster: ClusterRef,
    pub pick: ServerGroupPick,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FindImage {
    pub cluster: ClusterRef,
    pub pick: ImagePick,
    pub only_enabled: bool,
}

/// Shrink Cluster's and Scale Down Cluster's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleanup {
    pub cluster: ClusterRef,
    pub keep: u64,
    pub prefer_larger: bool,
    pub allow_active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// Seconds; absent until evaluated when it is an expression.
    pub seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManualJudgment {
    pub instructions: String,
    /// The options an approver picks from (`judgmentInputs[].value`).
    pub options: Vec<String>,
}

/// One of Check Preconditions' checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Precondition {
    /// An expression that must be true.
    Expression {
        expression: Value,
        failure_message: Option<String>,
        fail_pipeline: bool,
    },
    /// Another stage's status must be this one.
    StageStatus {
        stage_name: String,
        status: String,
        fail_pipeline: bool,
    },
    /// A cluster must have (==, <, >, <=, >=) this many server groups.
    ClusterSize {
        account: String,
        namespace: String,
        cluster: String,
        comparison: String,
        expected: Option<u64>,
        only_enabled: bool,
        fail_pipeline: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunPipeline {
    pub application: Option<String>,
    pub pipeline: String,
    pub parameters: Vec<(String, String)>,
    pub wait_for_completion: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub payload: Option<Value>,
    pub fail_fast_status_codes: Vec<u64>,
    pub retry_status_codes: Vec<u64>,
    pub wait_for_completion: bool,
    /// Where the status is read: `getMethod` (the same URL), `locationHeader`, or
    /// `webhookResponse` (a URL found in the first response at `statusUrlJsonPath`).
    pub status_url_resolution: String,
    pub status_url_json_path: Option<String>,
    pub status_json_path: Option<String>,
    pub success_statuses: Vec<String>,
    pub canceled_statuses: Vec<String>,
    pub terminal_statuses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeployManifest {
    pub account: String,
    pub namespace_override: Option<String>,
    pub manifests: Vec<Value>,
}

/// Run Job (Manifest): one Job from its manifest (`manifest`, or a `manifests` list of one).
#[derive(Debug, Clone, PartialEq)]
pub struct RunJob {
    pub account: String,
    /// The Job, as written (a YAML text is read when the stage runs).
    pub manifest: Value,
    /// The container whose log holds the output properties (Spinnaker's `propertyFile`).
    pub property_container: Option<String>,
    /// Gennaker's `deleteJob`: delete the Job (and its Pods) once its outcome and logs are kept.
    pub delete_job: bool,
}

/// Jenkins: `job` run on `master` with `parameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct JenkinsBuild {
    pub master: String,
    pub job: String,
    pub parameters: Vec<(String, String)>,
    /// An archived file whose values become outputs (Spinnaker's `propertyFile`).
    pub property_file: Option<String>,
    /// `markUnstableAsSuccessful`.
    pub unstable_is_success: bool,
    pub wait_for_completion: bool,
}

/// Script: `command` run by `sh -c` in `image`, as a Job in `namespace` of `account`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub account: String,
    pub namespace: String,
    pub image: String,
    pub command: String,
    pub delete_job: bool,
}

/// The Kubernetes object a manifest stage acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestTarget {
    pub account: String,
    pub namespace: String,
    /// `kind name`, as Spinnaker writes `manifestName` ("deployment web").
    pub kind: String,
    pub name: String,
}

/// A deploy strategy (Deck's `strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    #[default]
    None,
    Highlander,
    RedBlack,
    RollingRedBlack,
    Custom,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::None,
        Strategy::Highlander,
        Strategy::RedBlack,
        Strategy::RollingRedBlack,
        Strategy::Custom,
    ];

    /// Deck's value (`""` for none).
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::None => "",
            Strategy::Highlander => "highlander",
            Strategy::RedBlack => "redblack",
            Strategy::RollingRedBlack => "rollingredblack",
            Strategy::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::None => "None",
            Strategy::Highlander => "Highlander",
            Strategy::RedBlack => "Red/Black",
            Strategy::RollingRedBlack => "Rolling Red/Black",
            Strategy::Custom => "Custom",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        match text.to_ascii_lowercase().as_str() {
            "" | "none" => Some(Strategy::None),
            "highlander" => Some(Strategy::Highlander),
            "redblack" => Some(Strategy::RedBlack),
            "rollingredblack" => Some(Strategy::RollingRedBlack),
            "custom" => Some(Strategy::Custom),
            _ => None,
        }
    }
}

/// One entry of a Deploy stage's `clusters`: a server group and how it replaces the others.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployCluster {
    pub spec: ServerGroupSpec,
    pub strategy: Strategy,
    /// Red/Black: how many server groups the cluster keeps (older disabled ones are destroyed
    /// first); 0 keeps all.
    pub max_remaining: u64,
    /// Red/Black: resize the disabled server groups to 0 after `delay_before_scale_down`.
    pub scale_down: bool,
    pub delay_before_disable_sec: u64,
    pub delay_before_scale_down_sec: u64,
    /// Red/Black: when the new server group never gets healthy, disable it and put the
    /// previous one back.
    pub rollback_on_failure: bool,
    /// The image comes from a Find Image from Cluster stage (`imageDescription.fromContext`)
    /// with this `refId` (`stageId`), found when the stage starts.
    pub image_from_stage: Option<String>,
    /// The image is the one whose push started the execution (`imageDescription.fromTrigger`):
    /// the Docker Registry trigger's repository, tag and digest, found when the stage starts.
    pub image_from_trigger: bool,
    /// Rolling Red/Black: the shares of the replicas the new server group grows through
    /// (`targetPercentages`), ending at 100.
    pub target_percentages: Vec<u64>,
    /// Rolling Red/Black: seconds to wait after each growth (`delayBeforeCleanup`).
    pub delay_before_cleanup_sec: u64,
    /// Rolling Red/Black: a pipeline run after each growth, before traffic moves
    /// (`pipelineBeforeCleanup`); Custom: the strategy pipeline (`strategyApplication`,
    /// `strategyPipeline`, `pipelineParameters`).
    pub pipeline: Option<StrategyPipeline>,
}

/// A pipeline a strategy runs, with parameters of its own (values may be expressions).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StrategyPipeline {
    /// The application it belongs to; the execution's when empty.
    pub application: String,
    /// Its id.
    pub pipeline: String,
    pub parameters: Vec<(String, String)>,
}

/// Rolling Red/Black's steps when none are given (Deck's default).
pub const DEFAULT_PERCENTAGES: [u64; 2] = [50, 100];

/// Reads `stage`'s settings; problems go to `errors` with paths under `path`.
pub fn read(
    kind: StageType,
    stage: &Stage,
    path: &str,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> StageSettings {
    let mut r = Reader::new(&stage.settings, path, lenient, errors);
    match kind {
        StageType::Wait => {
            let seconds = r.count("waitTime");
            if r.raw("waitTime").is_none() {
                r.fail("waitTime", "Give the time to wait, in seconds.");
            }
            StageSettings::Wait(Wait { seconds })
        }
        StageType::ManualJudgment => StageSettings::ManualJudgment(ManualJudgment {
            instructions: r.text("instructions").unwrap_or_default(),
            options: r
                .objects("judgmentInputs", |o| o.text("value").unwrap_or_default())
                .into_iter()
                .filter(|v| !v.is_empty())
                .collect(),
        }),
        StageType::CheckPreconditions => StageSettings::CheckPreconditions(preconditions(&mut r)),
        StageType::EvaluateVariables => {
            let variables = r.objects("variables", |v| {
                let key = v.required_text("key", "the variable's name");
                v.expressions_in("value");
                (key, v.raw("value").cloned().unwrap_or(Value::Null))
            });
            let mut seen = Vec::new();
            for (i, (key, _)) in variables.iter().enumerate() {
                if let Some(key) = key {
                    if seen.contains(key) {
                        r.fail(
                            &format!("variables[{i}].key"),
                            format!("The variable {key:?} is set twice."),
                        );
                    }
                    seen.push(key.clone());
                }
            }
            StageSettings::EvaluateVariables(
                variables
                    .into_iter()
                    .filter_map(|(k, v)| k.map(|k| (k, v)))
                    .collect(),
            )
        }
        StageType::Pipeline => StageSettings::Pipeline(RunPipeline {
            application: r.text("application"),
            pipeline: r
                .required_text("pipeline", "the pipeline to run")
                .unwrap_or_default(),
            parameters: r.text_map("pipelineParameters"),
            wait_for_completion: r.flag("waitForCompletion").unwrap_or(true),
        }),
        StageType::Webhook => StageSettings::Webhook(Box::new(webhook(&mut r))),
        StageType::DeployManifest => {
            let account = r
                .required_text("account", "the Kubernetes account")
                .unwrap_or_default();
            let namespace_override = r.text("namespaceOverride").filter(|n| !n.is_empty());
            r.expressions_in("manifests");
            let manifests = match r.raw("manifests") {
                Some(Value::Array(items)) if !items.is_empty() => items.clone(),
                _ => {
                    r.fail("manifests", "Give at least one Kubernetes manifest.");
                    Vec::new()
                }
            };
            StageSettings::DeployManifest(DeployManifest {
                account,
                namespace_override,
                manifests,
            })
        }
        StageType::DeleteManifest => StageSettings::DeleteManifest(manifest_target(&mut r)),
        StageType::ScaleManifest => {
            let target = manifest_target(&mut r);
            let replicas = r.count("replicas");
            if r.raw("replicas").is_none() {
                r.fail("replicas", "Give the number of replicas.");
            }
            StageSettings::ScaleManifest(target, replicas.map_or(0, |n| n as i64))
        }
        StageType::UndoRolloutManifest => {
            let target = manifest_target(&mut r);
            let back = r.count("numRevisionsBack").unwrap_or(1);
            if back == 0 {
                r.fail("numRevisionsBack", "Roll back at least 1 revision.");
            }
            StageSettings::UndoRolloutManifest(target, back)
        }
        StageType::ResizeServerGroup => {
            let target = cluster_target(&mut r);
            let resize = resize(&mut r);
            StageSettings::ResizeServerGroup(target, resize)
        }
        StageType::DisableServerGroup => StageSettings::DisableServerGroup(cluster_target(&mut r)),
        StageType::EnableServerGroup => StageSettings::EnableServerGroup(cluster_target(&mut r)),
        StageType::DestroyServerGroup => StageSettings::DestroyServerGroup(cluster_target(&mut r)),
        StageType::FindImageFromCluster => {
            let cluster = cluster_ref(&mut r, true);
            let text = r
                .text("selectionStrategy")
                .unwrap_or_else(|| "NEWEST".into());
            let pick = ImagePick::parse(&text).unwrap_or_else(|| {
                r.fail(
                    "selectionStrategy",
                    format!("{text:?} is not a selection: use NEWEST, LARGEST, OLDEST or FAIL."),
                );
                ImagePick::Newest
            });
            StageSettings::FindImage(FindImage {
                cluster,
                pick,
                only_enabled: r.flag("onlyEnabled").unwrap_or(true),
            })
        }
        StageType::ScaleDownCluster => StageSettings::ScaleDownCluster(cleanup(
            &mut r,
            "remainingFullSizeServerGroups",
            "preferLargerOverNewer",
            "allowScaleDownActive",
        )),
        StageType::ShrinkCluster => StageSettings::ShrinkCluster(cleanup(
            &mut r,
            "shrinkToSize",
            "retainLargerOverNewer",
            "allowDeleteActive",
        )),
        StageType::RunJobManifest => StageSettings::RunJob(run_job(&mut r)),
        StageType::Jenkins => StageSettings::Jenkins(JenkinsBuild {
            master: r
                .required_text("master", "the Jenkins master")
                .unwrap_or_default(),
            job: r
                .required_text("job", "the Jenkins job (a job in a folder as folder/job)")
                .unwrap_or_default(),
            parameters: r.text_map("parameters"),
            property_file: r.text("propertyFile").filter(|f| !f.trim().is_empty()),
            unstable_is_success: r.flag("markUnstableAsSuccessful").unwrap_or(false),
            wait_for_completion: r.flag("waitForCompletion").unwrap_or(true),
        }),
        StageType::Script => StageSettings::Script(Script {
            account: account(&mut r),
            namespace: ["namespace", "region", "location"]
                .into_iter()
                .find_map(|key| first_text(&mut r, key))
                .unwrap_or_else(|| "default".to_string()),
            image: r
                .required_text("image", "the container image the script runs in")
                .unwrap_or_default(),
            command: r
                .required_text("command", "the script to run")
                .unwrap_or_default(),
            delete_job: r.flag("deleteJob").unwrap_or(false),
        }),
        StageType::Deploy => {
            if r.raw("clusters").is_none() {
                r.fail("clusters", "Add a cluster to deploy to.");
            }
            StageSettings::Deploy(r.objects("clusters", deploy_cluster))
        }
    }
}

/// The Kubernetes account of a stage that runs a Job: `account`, or `credentials`.
fn account(r: &mut Reader<'_>) -> String {
    let named = ["account", "credentials"]
        .into_iter()
        .find_map(|key| r.text(key).filter(|a| !a.trim().is_empty()));
    named.unwrap_or_else(|| {
        r.fail("account", "Give the Kubernetes account.");
        String::new()
    })
}

fn run_job(r: &mut Reader<'_>) -> RunJob {
    let account = account(r);
    if let Some(source) = r.text("source").filter(|s| !s.is_empty() && s != "text") {
        r.fail(
            "source",
            format!(
                "Gennaker runs the Job written in the stage (source \"text\"), not from {source:?}; an earlier stage's output can go in the manifest as an expression."
            ),
        );
    }
    let key = if r.raw("manifest").is_some() {
        "manifest"
    } else {
        "manifests"
    };
    r.expressions_in(key);
    let manifest = match r.raw(key) {
        Some(Value::Array(items)) if items.len() == 1 => items[0].clone(),
        Some(Value::Array(items)) if items.len() > 1 => {
            r.fail(
                key,
                format!(
                    "Run Job runs one Job; these manifests have {} objects.",
                    items.len()
                ),
            );
            Value::Null
        }
        Some(value @ (Value::Object(_) | Value::String(_))) => value.clone(),
        _ => {
            r.fail(key, "Give the Job's manifest, as YAML or JSON.");
            Value::Null
        }
    };
    if let Some(kind) = manifest.get("kind").and_then(Value::as_str)
        && kind != "Job"
        && !kind.contains("${")
    {
        r.fail(key, format!("Run Job runs a Kubernetes Job, not a {kind}."));
    }
    RunJob {
        account,
        manifest,
        property_container: r.text("propertyFile").filter(|c| !c.is_empty()),
        delete_job: r.flag("deleteJob").unwrap_or(false),
    }
}

/// `manifestName` ("deployment web") in `location` of `account`.
fn manifest_target(r: &mut Reader<'_>) -> ManifestTarget {
    let account = r
        .required_text("account", "the Kubernetes account")
        .unwrap_or_default();
    let namespace = r
        .required_text("location", "the namespace")
        .unwrap_or_default();
    let target = r
        .required_text(
            "manifestName",
            "the object, as kind and name (deployment web)",
        )
        .unwrap_or_default();
    let (kind, name) = match target.trim().split_once(char::is_whitespace) {
        Some((kind, name)) => (kind.trim().to_string(), name.trim().to_string()),
        None if target.contains("${") || target.is_empty() => (String::new(), target),
        None => {
            r.fail(
                "manifestName",
                format!("Write the object as kind and name, such as \"deployment {target}\"."),
            );
            (String::new(), target)
        }
    };
    ManifestTarget {
        account,
        namespace,
        kind,
        name,
    }
}

/// The first of a list of text, or the text itself (`namespaces: ["prod"]` or `namespace: "prod"`).
fn first_text(r: &mut Reader<'_>, key: &str) -> Option<String> {
    match r.raw(key) {
        Some(Value::Array(_)) => r.texts(key).into_iter().next(),
        Some(_) => r.text(key),
        None => None,
    }
    .filter(|t| !t.is_empty())
}

/// The cluster a cluster stage names; `cluster` may be left out when `need_cluster` is false.
fn cluster_ref(r: &mut Reader<'_>, need_cluster: bool) -> ClusterRef {
    let account = match r.text("credentials").filter(|a| !a.is_empty()) {
        Some(account) => account,
        None => r
            .required_text("account", "the Kubernetes account (credentials)")
            .unwrap_or_default(),
    };
    let namespace = ["namespaces", "regions", "namespace", "location"]
        .into_iter()
        .find_map(|key| first_text(r, key));
    if namespace.is_none() {
        r.fail("namespaces", "Give the namespace of the cluster.");
    }
    let cluster = if need_cluster {
        r.required_text("cluster", "the cluster (such as web-main)")
    } else {
        r.text("cluster")
    };
    ClusterRef {
        account,
        namespace: namespace.unwrap_or_default(),
        cluster: cluster.unwrap_or_default(),
    }
}

/// A server group stage's `target`, or the server group it names (`serverGroupName`).
fn cluster_target(r: &mut Reader<'_>) -> ClusterTarget {
    let named = r.text("serverGroupName").filter(|n| !n.is_empty());
    let target = r.text("target").filter(|t| !t.is_empty());
    let pick = match (target, named) {
        (Some(target), named) => ServerGroupPick::parse(&target)
            .or_else(|| named.clone().map(|name| ServerGroupPick::Named { name }))
            .unwrap_or_else(|| {
                r.fail(
                    "target",
                    format!("{target:?} is not a target: use current_asg_dynamic (newest), ancestor_asg_dynamic (previous), oldest_asg_dynamic, largest_asg_dynamic, or name the server group in serverGroupName."),
                );
                ServerGroupPick::Newest
            }),
        (None, Some(name)) => ServerGroupPick::Named { name },
        (None, None) => {
            r.fail(
                "target",
                "Choose the server group: the newest, previous, oldest or largest of the cluster, or one by name.",
            );
            ServerGroupPick::Newest
        }
    };
    let need_cluster = !matches!(pick, ServerGroupPick::Named { .. });
    ClusterTarget {
        cluster: cluster_ref(r, need_cluster),
        pick,
    }
}

/// Resize Server Group's change: `action` scale_exact (`capacity.desired`), or scale_up /
/// scale_down by `scaleNum` (`resizeType` incr) or `scalePct` (pct).
fn resize(r: &mut Reader<'_>) -> Resize {
    let action = r.text("action").unwrap_or_else(|| "scale_exact".into());
    let sign = match action.as_str() {
        "scale_exact" => {
            let desired = r.object("capacity", |c| {
                let desired = c.count("desired");
                if c.raw("desired").is_none() {
                    c.fail("desired", "Give the number of replicas.");
                }
                desired
            });
            if desired.is_none() {
                r.fail(
                    "capacity",
                    "Give the number of replicas (capacity.desired).",
                );
            }
            let replicas = desired.flatten().map_or(0, |n| n as i64);
            return Resize::Exact { replicas };
        }
        "scale_up" => 1,
        "scale_down" => -1,
        other => {
            r.fail(
                "action",
                format!("{other:?} is not a resize: use scale_exact, scale_up or scale_down."),
            );
            return Resize::Exact { replicas: 0 };
        }
    };
    let kind = r.text("resizeType").unwrap_or_else(|| "pct".into());
    let (key, what) = match kind.as_str() {
        "pct" => ("scalePct", "the percentage"),
        "incr" => ("scaleNum", "the number of replicas"),
        other => {
            r.fail(
                "resizeType",
                format!(
                    "{other:?} is not a resize type: use pct (a percentage) or incr (a number)."
                ),
            );
            return Resize::By { delta: 0 };
        }
    };
    let amount = r.count(key);
    if r.raw(key).is_none() {
        r.fail(key, format!("Give {what} to scale by."));
    }
    let amount = amount.map_or(0, |n| n as i64) * sign;
    if kind == "pct" {
        Resize::Percent { percent: amount }
    } else {
        Resize::By { delta: amount }
    }
}

fn cleanup(r: &mut Reader<'_>, keep: &str, prefer_larger: &str, allow_active: &str) -> Cleanup {
    let cluster = cluster_ref(r, true);
    Cleanup {
        cluster,
        keep: r.count(keep).unwrap_or(1),
        prefer_larger: r.flag(prefer_larger).unwrap_or(false),
        allow_active: r.flag(allow_active).unwrap_or(false),
    }
}

fn preconditions(r: &mut Reader<'_>) -> Vec<Precondition> {
    let read = r.objects("preconditions", |p| {
        let kind = p.text("type").unwrap_or_default();
        let fail_pipeline = p.flag("failPipeline").unwrap_or(true);
        p.object("context", |c| match kind.as_str() {
            "expression" => {
                c.expressions_in("expression");
                Some(Precondition::Expression {
                    expression: c.raw("expression").cloned().unwrap_or(Value::Null),
                    failure_message: c.text("failureMessage").filter(|m| !m.is_empty()),
                    fail_pipeline,
                })
            }
            "stageStatus" => Some(Precondition::StageStatus {
                stage_name: c
                    .required_text("stageName", "the stage whose status to check")
                    .unwrap_or_default(),
                status: c
                    .required_text("stageStatus", "the status it must have")
                    .unwrap_or_default(),
                fail_pipeline,
            }),
            "clusterSize" => {
                let comparison = c.text("comparison").unwrap_or_else(|| "==".into());
                if !["==", "<", ">", "<=", ">="].contains(&comparison.as_str()) {
                    c.fail("comparison", "Compare with ==, <, >, <= or >=.");
                }
                let namespace = c
                    .texts("regions")
                    .into_iter()
                    .next()
                    .or_else(|| c.text("namespace"))
                    .unwrap_or_default();
                Some(Precondition::ClusterSize {
                    account: c
                        .required_text("credentials", "the Kubernetes account")
                        .unwrap_or_default(),
                    namespace,
                    cluster: c
                        .required_text("cluster", "the cluster")
                        .unwrap_or_default(),
                    comparison,
                    expected: c.count("expected"),
                    only_enabled: c.flag("onlyEnabledServerGroups").unwrap_or(false),
                    fail_pipeline,
                })
            }
            other => {
                c.fail(
                    "type",
                    format!("{other:?} is not a precondition Gennaker checks: use expression, stageStatus or clusterSize."),
                );
                None
            }
        })
        .flatten()
    });
    read.into_iter().flatten().collect()
}

fn statuses(r: &mut Reader<'_>, key: &str) -> Vec<String> {
    r.text(key)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn webhook(r: &mut Reader<'_>) -> Webhook {
    let url = r
        .required_text("url", "the URL to call")
        .unwrap_or_default();
    let checkable = !url.contains("${") && !url.is_empty();
    if checkable && !(url.starts_with("http://") || url.starts_with("https://")) {
        r.fail("url", format!("{url:?} is not an http:// or https:// URL."));
    }
    let method = r
        .text("method")
        .unwrap_or_else(|| "POST".into())
        .to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&method.as_str()) {
        r.fail(
            "method",
            format!("{method} is not GET, POST, PUT, PATCH, DELETE or HEAD."),
        );
    }
    r.expressions_in("payload");
    let resolution = r
        .text("statusUrlResolution")
        .unwrap_or_else(|| "getMethod".into());
    if !["getMethod", "locationHeader", "webhookResponse"].contains(&resolution.as_str()) {
        r.fail(
            "statusUrlResolution",
            "Read the status from getMethod, locationHeader or webhookResponse.",
        );
    }
    let wait_for_completion = r.flag("waitForCompletion").unwrap_or(false);
    let status_json_path = r.text("statusJsonPath").filter(|p| !p.is_empty());
    if wait_for_completion && status_json_path.is_none() {
        r.fail(
            "statusJsonPath",
            "Give the JSON path of the status to wait for (such as $.status).",
        );
    }
    Webhook {
        url,
        method,
        headers: r.text_map("customHeaders"),
        payload: r.raw("payload").cloned(),
        fail_fast_status_codes: r.numbers("failFastStatusCodes"),
        retry_status_codes: r.numbers("retryStatusCodes"),
        wait_for_completion,
        status_url_resolution: resolution,
        status_url_json_path: r.text("statusUrlJsonPath").filter(|p| !p.is_empty()),
        status_json_path,
        success_statuses: statuses(r, "successStatuses"),
        canceled_statuses: statuses(r, "canceledStatuses"),
        terminal_statuses: statuses(r, "terminalStatuses"),
    }
}

fn quantity(r: &mut Reader<'_>, key: &str, field: &str) -> String {
    r.object(key, |q| q.text(field).unwrap_or_default())
        .unwrap_or_default()
}

/// A `clusters[]` entry as Deck writes it for the Kubernetes provider.
fn deploy_cluster(r: &mut Reader<'_>) -> DeployCluster {
    let strategy_text = r.text("strategy").unwrap_or_default();
    let strategy = Strategy::parse(&strategy_text).unwrap_or_else(|| {
        r.fail(
            "strategy",
            format!("{strategy_text:?} is not a strategy Gennaker runs: use none, highlander, redblack, rollingredblack or custom."),
        );
        Strategy::None
    });
    let mut image_from_stage = None;
    let containers = r.objects("containers", |c| {
        let from_stage = c
            .object("imageDescription", |d| {
                if d.flag("fromContext") != Some(true) {
                    return None;
                }
                let stage = d.text("stageId").filter(|s| !s.is_empty());
                if stage.is_none() {
                    d.fail(
                        "stageId",
                        "Choose the Find Image from Cluster stage the image comes from.",
                    );
                }
                stage
            })
            .flatten();
        let from_trigger = c
            .object("imageDescription", |d| d.flag("fromTrigger") == Some(true))
            .unwrap_or(false);
        let image = c
            .object("imageDescription", |d| {
                let image_id = d.text("imageId").filter(|i| !i.is_empty());
                image_id.unwrap_or_else(|| {
                    let registry = d.text("registry").unwrap_or_default();
                    let repository = d.text("repository").unwrap_or_default();
                    let tag = d.text("tag").unwrap_or_default();
                    let name = if registry.is_empty() {
                        repository
                    } else {
                        format!("{registry}/{repository}")
                    };
                    if tag.is_empty() {
                        name
                    } else {
                        format!("{name}:{tag}")
                    }
                })
            })
            .unwrap_or_default();
        let env = c.objects("envVars", |e| EnvVar {
            name: e.text("name").unwrap_or_default(),
            value: e.text("value").unwrap_or_default(),
        });
        let ports = c.objects("ports", |p| ContainerPort {
            name: p.text("name").unwrap_or_default(),
            container_port: p.count("containerPort").map_or(0, |n| n as i64),
            protocol: p
                .text("protocol")
                .and_then(|t| Protocol::parse(&t))
                .unwrap_or_default(),
        });
        let resources = Resources {
            cpu_request: quantity(c, "requests", "cpu"),
            cpu_limit: quantity(c, "limits", "cpu"),
            memory_request: quantity(c, "requests", "memory"),
            memory_limit: quantity(c, "limits", "memory"),
        };
        (
            (image, from_stage, from_trigger),
            c.texts("command"),
            c.texts("args"),
            env,
            ports,
            resources,
        )
    });
    let namespace = r
        .text("namespace")
        .or_else(|| r.text("region"))
        .unwrap_or_default();
    let mut spec = ServerGroupSpec {
        application: r.text("application").unwrap_or_default(),
        account: r.text("account").unwrap_or_default(),
        namespace,
        stack: r.text("stack").unwrap_or_default(),
        detail: r.text("freeFormDetails").unwrap_or_default(),
        replicas: r.count("targetSize").map_or(1, |n| n as i64),
        load_balancers: r.texts("loadBalancers"),
        node_selector: r
            .text_map("nodeSelector")
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        ..ServerGroupSpec::default()
    };
    let mut image_from_trigger = false;
    if let Some(((image, from_stage, from_trigger), command, args, env, ports, resources)) =
        containers.into_iter().next()
    {
        if from_stage.is_none() && !from_trigger {
            spec.image = image;
        }
        image_from_stage = from_stage;
        image_from_trigger = from_trigger && image_from_stage.is_none();
        spec.command = command;
        spec.args = args;
        spec.env = env;
        spec.ports = ports;
        spec.resources = resources;
    }
    let rollback_on_failure = r
        .object("rollback", |b| b.flag("onFailure").unwrap_or(false))
        .unwrap_or(false);
    let mut target_percentages = Vec::new();
    let mut pipeline = None;
    match strategy {
        Strategy::RollingRedBlack => {
            target_percentages = r.numbers("targetPercentages");
            if target_percentages.is_empty() {
                target_percentages = DEFAULT_PERCENTAGES.to_vec();
            }
            let rising = target_percentages.windows(2).all(|w| w[0] < w[1]);
            if !rising || target_percentages.iter().any(|p| !(1..=100).contains(p)) {
                r.fail(
                    "targetPercentages",
                    "Give rising percentages from 1 to 100, such as 25, 50, 100.",
                );
            }
            if target_percentages.last() != Some(&100) {
                target_percentages.push(100);
            }
            pipeline = r
                .object("pipelineBeforeCleanup", |p| StrategyPipeline {
                    application: p.text("application").unwrap_or_default(),
                    pipeline: p.text("pipelineId").unwrap_or_default(),
                    parameters: p.text_map("pipelineParameters"),
                })
                .filter(|p| !p.pipeline.is_empty());
        }
        Strategy::Custom => {
            let chosen = r.required_text("strategyPipeline", "the strategy pipeline to run");
            pipeline = Some(StrategyPipeline {
                application: r.text("strategyApplication").unwrap_or_default(),
                pipeline: chosen.unwrap_or_default(),
                parameters: r.text_map("pipelineParameters"),
            });
        }
        _ => {}
    }
    DeployCluster {
        spec,
        strategy,
        max_remaining: r.count("maxRemainingAsgs").unwrap_or(0),
        scale_down: r.flag("scaleDown").unwrap_or(false),
        delay_before_disable_sec: r.count("delayBeforeDisableSec").unwrap_or(0),
        delay_before_scale_down_sec: r.count("delayBeforeScaleDownSec").unwrap_or(0),
        rollback_on_failure,
        image_from_stage,
        image_from_trigger,
        target_percentages,
        delay_before_cleanup_sec: r.count("delayBeforeCleanup").unwrap_or(0),
        pipeline,
    }
}

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
        Some(StageType::DeployManifest)
            if stage.settings.get("source").and_then(Value::as_str) == Some("artifact")
                || stage.settings.contains_key("manifestArtifactId") =>
        {
            note(
                format!("{path}.manifestArtifactId"),
                "manifests from artifacts are not supported yet (paste the manifest as text)",
            );
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
}
