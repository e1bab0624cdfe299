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
    DeleteManifest(DeleteManifest),
    Deploy(Vec<DeployCluster>),
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

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteManifest {
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
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::None, Strategy::Highlander, Strategy::RedBlack];

    /// Deck's value (`""` for none).
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::None => "",
            Strategy::Highlander => "highlander",
            Strategy::RedBlack => "redblack",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::None => "None",
            Strategy::Highlander => "Highlander",
            Strategy::RedBlack => "Red/Black",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        match text.to_ascii_lowercase().as_str() {
            "" | "none" => Some(Strategy::None),
            "highlander" => Some(Strategy::Highlander),
            "redblack" => Some(Strategy::RedBlack),
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
        StageType::DeleteManifest => {
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
                        format!(
                            "Write the object as kind and name, such as \"deployment {target}\"."
                        ),
                    );
                    (String::new(), target)
                }
            };
            StageSettings::DeleteManifest(DeleteManifest {
                account,
                namespace,
                kind,
                name,
            })
        }
        StageType::Deploy => {
            if r.raw("clusters").is_none() {
                r.fail("clusters", "Add a cluster to deploy to.");
            }
            StageSettings::Deploy(r.objects("clusters", deploy_cluster))
        }
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
            format!("{strategy_text:?} is not a strategy Gennaker runs: use none, highlander or redblack."),
        );
        Strategy::None
    });
    let containers = r.objects("containers", |c| {
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
            image,
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
    if let Some((image, command, args, env, ports, resources)) = containers.into_iter().next() {
        spec.image = image;
        spec.command = command;
        spec.args = args;
        spec.env = env;
        spec.ports = ports;
        spec.resources = resources;
    }
    let rollback_on_failure = r
        .object("rollback", |b| b.flag("onFailure").unwrap_or(false))
        .unwrap_or(false);
    DeployCluster {
        spec,
        strategy,
        max_remaining: r.count("maxRemainingAsgs").unwrap_or(0),
        scale_down: r.flag("scaleDown").unwrap_or(false),
        delay_before_disable_sec: r.count("delayBeforeDisableSec").unwrap_or(0),
        delay_before_scale_down_sec: r.count("delayBeforeScaleDownSec").unwrap_or(0),
        rollback_on_failure,
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
                let from_trigger = cluster
                    .pointer("/containers/0/imageDescription/fromTrigger")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if from_trigger {
                    note(
                        format!("{path}.clusters[{i}].containers[0].imageDescription"),
                        "an image from the trigger needs a Docker Registry trigger, which is not supported yet",
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
            json!({"clusters": [{"strategy": "rollingredblack", "targetSize": "many"}]}),
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
            json!({"clusters": [{"containers": [{"imageDescription": {"fromTrigger": true, "tag": "^v.*"}}]}]}),
        );
        let found = unsupported_features(&deploy, "stages[3]");
        assert_eq!(
            found[0].field,
            "stages[3].clusters[0].containers[0].imageDescription"
        );
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
}
