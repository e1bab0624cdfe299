//! Writing stage settings back in Spinnaker's shape, for the editor: a value at a path inside a
//! stage's settings, and a Deploy stage's `clusters[]` entry from the server group it
//! describes. What the editor does not know is left as it was, so a pipeline brought from
//! Spinnaker goes back with every field it came with.

use serde_json::{Map, Value, json};

use super::stages::{DeployCluster, Strategy, StrategyPipeline};
use crate::infrastructure::image::ImageReference;

/// One step into a JSON value: a key of an object or an index of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// `path` as validation writes field paths, after `base`: `stages[2]` + `preconditions[0].context`.
pub fn path_text(base: &str, path: &[Seg<'_>]) -> String {
    let mut text = base.to_string();
    for seg in path {
        match seg {
            Seg::Key(key) if text.is_empty() => text.push_str(key),
            Seg::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Seg::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

/// The value at `path` under `root`, if there is one.
pub fn get<'v>(root: &'v Map<String, Value>, path: &[Seg<'_>]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(key) = first else {
        return None;
    };
    let mut value = root.get(*key)?;
    for seg in rest {
        value = match seg {
            Seg::Key(key) => value.get(*key)?,
            Seg::Index(i) => value.get(*i)?,
        };
    }
    Some(value)
}

/// Sets (or with `None`, removes) the value at `path` under `root`, making the objects and
/// list elements on the way. A step through something of another type replaces it.
pub fn set(root: &mut Map<String, Value>, path: &[Seg<'_>], new: Option<Value>) {
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        match new {
            Some(value) => {
                root.insert((*first).to_string(), value);
            }
            None => {
                root.remove(*first);
            }
        }
        return;
    }
    if new.is_none() && !root.contains_key(*first) {
        return;
    }
    let slot = root
        .entry((*first).to_string())
        .or_insert_with(|| empty_for(rest[0]));
    set_in(slot, rest, new);
}

fn empty_for(seg: Seg<'_>) -> Value {
    match seg {
        Seg::Key(_) => Value::Object(Map::new()),
        Seg::Index(_) => Value::Array(Vec::new()),
    }
}

fn set_in(value: &mut Value, path: &[Seg<'_>], new: Option<Value>) {
    let Some((seg, rest)) = path.split_first() else {
        if let Some(new) = new {
            *value = new;
        }
        return;
    };
    match seg {
        Seg::Key(_) => {
            if !value.is_object() {
                *value = Value::Object(Map::new());
            }
            if let Value::Object(map) = value {
                set(map, path, new);
            }
        }
        Seg::Index(i) => {
            if !value.is_array() {
                *value = Value::Array(Vec::new());
            }
            if let Value::Array(items) = value {
                if rest.is_empty() {
                    match new {
                        Some(new) if *i < items.len() => items[*i] = new,
                        Some(new) => items.push(new),
                        None if *i < items.len() => {
                            items.remove(*i);
                        }
                        None => {}
                    }
                    return;
                }
                while items.len() <= *i {
                    items.push(empty_for(rest[0]));
                }
                set_in(&mut items[*i], rest, new);
            }
        }
    }
}

/// What a text input holds as the JSON Spinnaker expects: a whole number as a number (an
/// expression or other text stays text), nothing for blank.
pub fn number_or_text(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if let Ok(n) = text.parse::<u64>() {
        Some(json!(n))
    } else {
        Some(json!(text))
    }
}

/// Drops the keys whose value is empty text, an empty list or an empty object.
fn without_empty(map: &mut Map<String, Value>, keys: &[&str]) {
    for key in keys {
        let empty = match map.get(*key) {
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            _ => false,
        };
        if empty {
            map.remove(*key);
        }
    }
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

/// A quantity pair (`{"cpu": "100m", "memory": "128Mi"}`), without the blank ones.
fn quantities(previous: Option<&Value>, cpu: &str, memory: &str) -> Map<String, Value> {
    let mut map = object(previous);
    map.insert("cpu".into(), json!(cpu));
    map.insert("memory".into(), json!(memory));
    without_empty(&mut map, &["cpu", "memory"]);
    map
}

/// The first container of a cluster entry, as Deck writes it, on top of the one it replaces.
fn container(previous: Option<&Value>, cluster: &DeployCluster) -> Value {
    let spec = &cluster.spec;
    let mut c = object(previous);
    let mut image = object(c.get("imageDescription"));
    if let Some(stage) = &cluster.image_from_stage {
        image.insert("fromContext".into(), json!(true));
        image.insert("stageId".into(), json!(stage));
        image.insert("cluster".into(), json!(spec.cluster()));
    } else {
        image.remove("fromContext");
        image.remove("stageId");
    }
    image.insert("fromTrigger".into(), json!(cluster.image_from_trigger));
    if cluster.image_from_trigger {
        // Deck's shape: the trigger's registry and repository stay, and no image is fixed.
        image.remove("imageId");
    } else {
        match ImageReference::parse(&spec.image) {
            Ok(reference) => {
                image.insert(
                    "registry".into(),
                    json!(reference.registry.clone().unwrap_or_default()),
                );
                image.insert("repository".into(), json!(reference.repository));
                image.insert(
                    "tag".into(),
                    json!(reference.tag.clone().unwrap_or_default()),
                );
            }
            Err(_) => {
                for key in ["registry", "repository", "tag"] {
                    image.remove(key);
                }
            }
        }
        image.insert("imageId".into(), json!(spec.image));
    }
    if !c.contains_key("name") {
        let repository = image
            .get("repository")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = repository.rsplit('/').next().unwrap_or_default();
        let name = if name.is_empty() {
            spec.application.as_str()
        } else {
            name
        };
        c.insert("name".into(), json!(name));
    }
    c.insert("imageDescription".into(), Value::Object(image));
    c.insert("command".into(), json!(spec.command));
    c.insert("args".into(), json!(spec.args));
    c.insert(
        "envVars".into(),
        Value::Array(
            spec.env
                .iter()
                .map(|e| json!({"name": e.name, "value": e.value}))
                .collect(),
        ),
    );
    c.insert(
        "ports".into(),
        Value::Array(
            spec.ports
                .iter()
                .map(|p| {
                    let mut port =
                        json!({"containerPort": p.container_port, "protocol": p.protocol.as_str()});
                    if !p.name.is_empty() {
                        port["name"] = json!(p.name);
                    }
                    port
                })
                .collect(),
        ),
    );
    let r = &spec.resources;
    let limits = quantities(c.get("limits"), &r.cpu_limit, &r.memory_limit);
    let requests = quantities(c.get("requests"), &r.cpu_request, &r.memory_request);
    c.insert("limits".into(), Value::Object(limits));
    c.insert("requests".into(), Value::Object(requests));
    without_empty(
        &mut c,
        &["command", "args", "envVars", "ports", "limits", "requests"],
    );
    Value::Object(c)
}

/// A Deploy stage's `clusters[]` entry for `cluster`, as Deck writes it for the Kubernetes
/// provider, on top of `previous` (the entry it replaces): fields Gennaker does not edit
/// (`podAnnotations`, `volumeSources`, a second container, ...) are kept.
pub fn deploy_cluster_entry(
    previous: &Map<String, Value>,
    cluster: &DeployCluster,
) -> Map<String, Value> {
    let spec = &cluster.spec;
    let mut entry = previous.clone();
    let mut put = |key: &str, value: Value| {
        entry.insert(key.to_string(), value);
    };
    put("account", json!(spec.account));
    put("application", json!(spec.application));
    put("cloudProvider", json!("kubernetes"));
    put("provider", json!("kubernetes"));
    put("namespace", json!(spec.namespace));
    put("region", json!(spec.namespace));
    put("stack", json!(spec.stack));
    put("freeFormDetails", json!(spec.detail));
    put("targetSize", json!(spec.replicas));
    put("loadBalancers", json!(spec.load_balancers));
    put("nodeSelector", json!(spec.node_selector));
    put("strategy", json!(cluster.strategy.as_str()));
    put("maxRemainingAsgs", json!(cluster.max_remaining));
    put("scaleDown", json!(cluster.scale_down));
    put(
        "delayBeforeDisableSec",
        json!(cluster.delay_before_disable_sec),
    );
    put(
        "delayBeforeScaleDownSec",
        json!(cluster.delay_before_scale_down_sec),
    );
    let mut rollback = object(previous.get("rollback"));
    rollback.insert("onFailure".into(), json!(cluster.rollback_on_failure));
    put("rollback", Value::Object(rollback));
    let parameters = |p: &StrategyPipeline| {
        Value::Object(
            p.parameters
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        )
    };
    match (cluster.strategy, &cluster.pipeline) {
        (Strategy::RollingRedBlack, validation) => {
            put("targetPercentages", json!(cluster.target_percentages));
            put(
                "delayBeforeCleanup",
                json!(cluster.delay_before_cleanup_sec),
            );
            match validation {
                Some(p) => put(
                    "pipelineBeforeCleanup",
                    json!({"application": p.application, "pipelineId": p.pipeline,
                        "pipelineParameters": parameters(p)}),
                ),
                None => put("pipelineBeforeCleanup", Value::Null),
            }
        }
        (Strategy::Custom, Some(p)) => {
            put("strategyApplication", json!(p.application));
            put("strategyPipeline", json!(p.pipeline));
            put("pipelineParameters", parameters(p));
        }
        _ => {}
    }
    let mut containers = match previous.get("containers") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    let first = container(containers.first(), cluster);
    match containers.first_mut() {
        Some(slot) => *slot = first,
        None => containers.push(first),
    }
    put("containers", Value::Array(containers));
    without_empty(&mut entry, &["nodeSelector"]);
    if entry.get("pipelineBeforeCleanup") == Some(&Value::Null) {
        entry.remove("pipelineBeforeCleanup");
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infrastructure::server_groups::{
        ContainerPort, EnvVar, Protocol, Resources, ServerGroupSpec,
    };
    use crate::pipelines::model::{Stage, StageType};
    use crate::pipelines::stages::{StageSettings, Strategy, StrategyPipeline, read};

    fn read_back(entry: Map<String, Value>) -> DeployCluster {
        let stage: Stage = serde_json::from_value(json!({
            "refId": "1", "type": "deploy", "name": "Deploy", "clusters": [entry]
        }))
        .unwrap();
        let mut errors = Vec::new();
        let StageSettings::Deploy(mut clusters) =
            read(StageType::Deploy, &stage, "stages[0]", false, &mut errors)
        else {
            panic!("a deploy stage");
        };
        assert!(errors.is_empty(), "{errors:?}");
        clusters.remove(0)
    }

    #[test]
    fn rolling_red_black_and_custom_settings_read_back() {
        let spec = ServerGroupSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            image: "nginx:1.27".into(),
            replicas: 4,
            ..ServerGroupSpec::default()
        };
        let rolling = DeployCluster {
            spec: spec.clone(),
            strategy: Strategy::RollingRedBlack,
            target_percentages: vec![25, 50, 100],
            delay_before_cleanup_sec: 5,
            rollback_on_failure: true,
            pipeline: Some(StrategyPipeline {
                application: "web".into(),
                pipeline: "p-1".into(),
                parameters: vec![("env".into(), "prod".into())],
            }),
            ..DeployCluster::default()
        };
        let entry = deploy_cluster_entry(&Map::new(), &rolling);
        assert_eq!(entry["strategy"], "rollingredblack");
        assert_eq!(entry["pipelineBeforeCleanup"]["pipelineId"], "p-1");
        assert_eq!(read_back(entry), rolling);
        let custom = DeployCluster {
            spec,
            strategy: Strategy::Custom,
            pipeline: Some(StrategyPipeline {
                application: String::new(),
                pipeline: "p-2".into(),
                parameters: Vec::new(),
            }),
            ..DeployCluster::default()
        };
        let entry = deploy_cluster_entry(&Map::new(), &custom);
        assert_eq!(entry["strategyPipeline"], "p-2");
        assert_eq!(read_back(entry), custom);
    }

    #[test]
    fn rolling_percentages_end_at_100_and_must_rise() {
        let stage: Stage =
            serde_json::from_value(json!({"refId": "1", "type": "deploy", "name": "Deploy",
                "clusters": [{"account": "local", "namespace": "default", "targetSize": 2,
                    "strategy": "rollingredblack", "targetPercentages": [25, 50],
                    "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]},
                  {"account": "local", "namespace": "default", "targetSize": 2,
                    "strategy": "rollingredblack", "targetPercentages": [50, 20],
                    "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]},
                  {"account": "local", "namespace": "default", "strategy": "custom",
                    "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]}]
            }))
            .unwrap();
        let mut errors = Vec::new();
        let StageSettings::Deploy(clusters) =
            read(StageType::Deploy, &stage, "stages[0]", false, &mut errors)
        else {
            panic!("a deploy stage");
        };
        assert_eq!(clusters[0].target_percentages, [25, 50, 100]);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "stages[0].clusters[1].targetPercentages",
                "stages[0].clusters[2].strategyPipeline"
            ]
        );
    }

    #[test]
    fn a_cluster_written_reads_back_the_same() {
        let cluster = DeployCluster {
            image_from_stage: None,
            image_from_trigger: false,
            target_percentages: Vec::new(),
            delay_before_cleanup_sec: 0,
            pipeline: None,
            spec: ServerGroupSpec {
                application: "web".into(),
                account: "local".into(),
                namespace: "default".into(),
                stack: "prod".into(),
                detail: "eu".into(),
                image: "registry.example.com/team/web:1.2.3".into(),
                replicas: 2,
                command: vec!["/web".into()],
                args: vec!["--port".into(), "8080".into()],
                env: vec![EnvVar {
                    name: "MODE".into(),
                    value: "prod".into(),
                }],
                ports: vec![ContainerPort {
                    name: "http".into(),
                    container_port: 8080,
                    protocol: Protocol::Tcp,
                }],
                resources: Resources {
                    cpu_limit: "500m".into(),
                    memory_request: "64Mi".into(),
                    ..Resources::default()
                },
                load_balancers: vec!["web-prod".into()],
                node_selector: [("pool".to_string(), "web".to_string())].into(),
                ..ServerGroupSpec::default()
            },
            strategy: Strategy::RedBlack,
            max_remaining: 2,
            scale_down: true,
            delay_before_disable_sec: 5,
            delay_before_scale_down_sec: 60,
            rollback_on_failure: true,
        };
        let entry = deploy_cluster_entry(&Map::new(), &cluster);
        assert_eq!(entry["region"], "default");
        assert_eq!(
            entry["containers"][0]["imageDescription"]["repository"],
            "team/web"
        );
        assert_eq!(entry["containers"][0]["name"], "web");
        assert_eq!(read_back(entry), cluster);
    }

    #[test]
    fn fields_the_form_does_not_edit_are_kept() {
        let previous = json!({
            "account": "old", "podAnnotations": {"kept": "yes"}, "rollback": {"onFailure": false, "destroyLatest": true},
            "containers": [
                {"name": "main", "imageDescription": {"account": "dockerhub", "imageId": "nginx:1.25"}, "imagePullPolicy": "IFNOTPRESENT"},
                {"name": "sidecar"}
            ]
        });
        let Value::Object(previous) = previous else {
            unreachable!()
        };
        let cluster = DeployCluster {
            image_from_stage: None,
            image_from_trigger: false,
            target_percentages: Vec::new(),
            delay_before_cleanup_sec: 0,
            pipeline: None,
            spec: ServerGroupSpec {
                application: "web".into(),
                account: "local".into(),
                namespace: "default".into(),
                image: "nginx:1.27".into(),
                replicas: 1,
                ..ServerGroupSpec::default()
            },
            strategy: Strategy::Highlander,
            ..DeployCluster::default()
        };
        let entry = deploy_cluster_entry(&previous, &cluster);
        assert_eq!(entry["account"], "local");
        assert_eq!(entry["podAnnotations"], json!({"kept": "yes"}));
        assert_eq!(
            entry["rollback"],
            json!({"onFailure": false, "destroyLatest": true})
        );
        assert_eq!(entry["strategy"], "highlander");
        let first = &entry["containers"][0];
        assert_eq!(first["name"], "main");
        assert_eq!(first["imagePullPolicy"], "IFNOTPRESENT");
        assert_eq!(first["imageDescription"]["account"], "dockerhub");
        assert_eq!(first["imageDescription"]["imageId"], "nginx:1.27");
        assert_eq!(entry["containers"][1], json!({"name": "sidecar"}));
        assert_eq!(read_back(entry).spec.image, "nginx:1.27");
    }

    #[test]
    fn values_are_set_and_removed_at_paths() {
        let mut settings = Map::new();
        let path = [
            Seg::Key("preconditions"),
            Seg::Index(0),
            Seg::Key("context"),
            Seg::Key("expression"),
        ];
        set(&mut settings, &path, Some(json!("${true}")));
        assert_eq!(
            Value::Object(settings.clone()),
            json!({"preconditions": [{"context": {"expression": "${true}"}}]})
        );
        assert_eq!(get(&settings, &path), Some(&json!("${true}")));
        set(
            &mut settings,
            &[Seg::Key("preconditions"), Seg::Index(0)],
            None,
        );
        assert_eq!(
            Value::Object(settings.clone()),
            json!({"preconditions": []})
        );
        set(
            &mut settings,
            &[Seg::Key("missing"), Seg::Key("deep")],
            None,
        );
        assert!(!settings.contains_key("missing"));
        assert_eq!(number_or_text(" 30 "), Some(json!(30)));
        assert_eq!(
            number_or_text("${parameters.wait}"),
            Some(json!("${parameters.wait}"))
        );
        assert_eq!(number_or_text("  "), None);
    }
}
