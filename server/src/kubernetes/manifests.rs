//! The objects Gennaker writes: a server group's ReplicaSet, a load balancer's Service, a
//! security group's NetworkPolicy, and user manifests (YAML or JSON, several documents),
//! checked before anything reaches the cluster.

use std::collections::BTreeMap;

use gennaker_core::infrastructure::load_balancers::{
    LoadBalancerSpec, Peer, SecurityGroupSpec, ServiceType,
};
use gennaker_core::infrastructure::names::{keys, split_version};
use gennaker_core::infrastructure::server_groups::ServerGroupSpec;
use kube::Client;
use kube::api::ApiResource;
use kube::discovery::{Discovery, Scope};
use serde_json::{Map, Value, json};

use super::moniker::load_balancers_annotation;
use super::{Error, Result};

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The label a Service made by Gennaker selects.
pub fn load_balancer_label(name: &str) -> String {
    format!("{}{name}", keys::LOAD_BALANCER_PREFIX)
}

fn moniker_annotations(
    application: &str,
    cluster: &str,
    stack: &str,
    detail: &str,
) -> Map<String, Value> {
    let mut annotations = Map::new();
    annotations.insert(keys::MONIKER_APPLICATION.into(), application.into());
    annotations.insert(keys::MONIKER_CLUSTER.into(), cluster.into());
    if !stack.is_empty() {
        annotations.insert(keys::MONIKER_STACK.into(), stack.into());
    }
    if !detail.is_empty() {
        annotations.insert(keys::MONIKER_DETAIL.into(), detail.into());
    }
    annotations
}

/// The metadata of an object Gennaker makes for `application` (a Service, a NetworkPolicy):
/// its name, namespace, the application's and manager's labels and the moniker.
fn owned_metadata(
    name: &str,
    namespace: &str,
    application: &str,
    stack: &str,
    detail: &str,
) -> Value {
    json!({
        "name": name,
        "namespace": namespace,
        "labels": {keys::APP_NAME: application, keys::MANAGED_BY: "gennaker"},
        "annotations": Value::Object(moniker_annotations(application, name, stack, detail)),
    })
}

/// The ReplicaSet of a new server group. `traffic_labels` are the selectors of the Services it
/// attaches to, merged; `pull_secret` names the Secret its Pods pull the image with; `task` is
/// the id of the task creating it.
pub fn replica_set(
    spec: &ServerGroupSpec,
    name: &str,
    sequence: u32,
    traffic_labels: &BTreeMap<String, String>,
    pull_secret: Option<&str>,
    task: &str,
) -> Value {
    let cluster = spec.cluster();
    let mut labels = spec.labels.clone();
    labels.insert(keys::APP_NAME.into(), spec.application.clone());
    labels.insert(keys::MANAGED_BY.into(), "gennaker".into());
    labels.insert(keys::SERVER_GROUP.into(), name.into());
    let mut pod_labels = labels.clone();
    pod_labels.extend(traffic_labels.clone());
    let mut annotations =
        moniker_annotations(&spec.application, &cluster, &spec.stack, &spec.detail);
    annotations.insert(keys::MONIKER_SEQUENCE.into(), sequence.to_string().into());
    let pod_annotations = Value::Object(annotations.clone());
    annotations.insert(
        keys::LOAD_BALANCERS.into(),
        load_balancers_annotation(&spec.load_balancers).into(),
    );
    annotations.insert(keys::TASK.into(), task.into());

    let mut container = Map::new();
    container.insert("name".into(), spec.application.clone().into());
    container.insert("image".into(), spec.image.clone().into());
    if !spec.command.is_empty() {
        container.insert("command".into(), json!(spec.command));
    }
    if !spec.args.is_empty() {
        container.insert("args".into(), json!(spec.args));
    }
    if !spec.env.is_empty() {
        container.insert(
            "env".into(),
            spec.env
                .iter()
                .map(|e| json!({"name": e.name, "value": e.value}))
                .collect(),
        );
    }
    if !spec.ports.is_empty() {
        container.insert(
            "ports".into(),
            spec.ports
                .iter()
                .map(|p| {
                    let mut port =
                        json!({"containerPort": p.container_port, "protocol": p.protocol.as_str()});
                    if !p.name.is_empty() {
                        port["name"] = p.name.clone().into();
                    }
                    port
                })
                .collect(),
        );
    }
    let r = &spec.resources;
    let quantities = |pairs: [(&str, &String); 2]| -> Map<String, Value> {
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
            .collect()
    };
    let requests = quantities([("cpu", &r.cpu_request), ("memory", &r.memory_request)]);
    let limits = quantities([("cpu", &r.cpu_limit), ("memory", &r.memory_limit)]);
    if !requests.is_empty() || !limits.is_empty() {
        container.insert(
            "resources".into(),
            json!({"requests": requests, "limits": limits}),
        );
    }
    let mut pod_spec = json!({"containers": [Value::Object(container)]});
    if !spec.node_selector.is_empty() {
        pod_spec["nodeSelector"] = string_map(&spec.node_selector);
    }
    if let Some(secret) = pull_secret {
        pod_spec["imagePullSecrets"] = json!([{"name": secret}]);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": spec.namespace,
            "labels": string_map(&labels),
            "annotations": Value::Object(annotations),
        },
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": {keys::SERVER_GROUP: name}},
            "template": {
                "metadata": {"labels": string_map(&pod_labels), "annotations": pod_annotations},
                "spec": pod_spec,
            },
        },
    })
}

/// The Service of a load balancer. It selects Pods labelled `load-balancer.gennaker.io/<name>`,
/// which server groups attached to it carry while enabled.
pub fn service(spec: &LoadBalancerSpec) -> Value {
    let name = spec.name();
    let ports: Vec<Value> = spec
        .ports
        .iter()
        .map(|p| {
            let mut port = json!({
                "port": p.port,
                "targetPort": if p.target_port == 0 { p.port } else { p.target_port },
                "protocol": p.protocol.as_str(),
            });
            if !p.name.is_empty() {
                port["name"] = p.name.clone().into();
            }
            if p.node_port != 0 && spec.kind != ServiceType::ClusterIP {
                port["nodePort"] = p.node_port.into();
            }
            port
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": owned_metadata(&name, &spec.namespace, &spec.application, &spec.stack, &spec.detail),
        "spec": {
            "type": spec.kind.as_str(),
            "selector": {load_balancer_label(&name): "true"},
            "ports": ports,
        },
    })
}

/// The NetworkPolicy of a security group: it guards the application's Pods (those with
/// `app.kubernetes.io/name`, narrowed by `pod_labels`) and allows the listed ingress.
pub fn network_policy(spec: &SecurityGroupSpec) -> Value {
    let name = spec.name();
    let mut selector = spec.pod_labels.clone();
    selector.insert(keys::APP_NAME.into(), spec.application.clone());
    let ingress: Vec<Value> = spec
        .ingress
        .iter()
        .map(|rule| {
            let mut value = Map::new();
            if !rule.ports.is_empty() {
                value.insert(
                    "ports".into(),
                    rule.ports
                        .iter()
                        .map(|p| json!({"port": p.port, "protocol": p.protocol.as_str()}))
                        .collect(),
                );
            }
            if !rule.from.is_empty() {
                value.insert(
                    "from".into(),
                    rule.from
                        .iter()
                        .map(|peer| match peer {
                            Peer::Pods { labels } => {
                                json!({"podSelector": {"matchLabels": string_map(labels)}})
                            }
                            Peer::Namespaces { labels } => {
                                json!({"namespaceSelector": {"matchLabels": string_map(labels)}})
                            }
                            Peer::Cidr { cidr } => json!({"ipBlock": {"cidr": cidr}}),
                        })
                        .collect(),
                );
            }
            Value::Object(value)
        })
        .collect();
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": owned_metadata(&name, &spec.namespace, &spec.application, &spec.stack, &spec.detail),
        "spec": {
            "podSelector": {"matchLabels": string_map(&selector)},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    })
}

/// Splits YAML or JSON text into documents and checks each is a Kubernetes object with
/// `apiVersion`, `kind` and `metadata.name`. Errors name the document (1-based).
pub fn parse_documents(text: &str) -> Result<Vec<Value>> {
    let fail = Error::Manifest;
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let n = index + 1;
        let value = <Value as serde::Deserialize>::deserialize(document)
            .map_err(|e| fail(format!("Document {n} is not valid YAML or JSON: {e}")))?;
        match value {
            Value::Null => continue, // an empty document between `---` lines
            Value::Object(ref object) => {
                let text_field = |key: &str| {
                    object
                        .get(key)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                };
                let Some(_) = text_field("apiVersion") else {
                    return Err(fail(format!(
                        "Document {n} is not a Kubernetes object: it has no apiVersion."
                    )));
                };
                let Some(kind) = text_field("kind") else {
                    return Err(fail(format!(
                        "Document {n} is not a Kubernetes object: it has no kind."
                    )));
                };
                if kind.ends_with("List") {
                    return Err(fail(format!(
                        "Document {n} is a {kind}; give its items as separate documents."
                    )));
                }
                let name = object
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str);
                let Some(name) = name else {
                    return Err(fail(format!("Document {n} ({kind}) has no metadata.name.")));
                };
                if name.is_empty() || name.len() > 253 {
                    return Err(fail(format!(
                        "Document {n} ({kind}) has a name that is empty or longer than 253 characters."
                    )));
                }
                documents.push(value);
            }
            other => {
                return Err(fail(format!(
                    "Document {n} is not a Kubernetes object: it is a {} rather than a mapping with apiVersion, kind and metadata.",
                    match other {
                        Value::Array(_) => "list",
                        Value::String(_) => "string",
                        Value::Number(_) => "number",
                        _ => "plain value",
                    }
                )));
            }
        }
    }
    if documents.is_empty() {
        return Err(fail(
            "The manifest is empty; paste at least one Kubernetes object.".into(),
        ));
    }
    Ok(documents)
}

/// A resource type the cluster serves, found by discovery.
pub struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// The resource types the cluster serves (one round of discovery requests).
pub async fn discover(client: &Client) -> Result<Discovery> {
    Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| Error::api("discovering the cluster's resource types", e))
}

/// Finds, in what [`discover`] found, the resource for `apiVersion` + `kind` (exact) or a
/// kubectl-style name (`deployment`, `deployments.apps`, `Deployment`).
pub fn resolve(discovery: &Discovery, api_version: Option<&str>, kind: &str) -> Result<Resolved> {
    let (wanted_kind, wanted_group) = match kind.split_once('.') {
        Some((kind, rest)) => (
            kind,
            Some(
                rest.split_once('.')
                    .map_or(rest, |(_, group)| group)
                    .to_string(),
            ),
        ),
        None => (kind, None),
    };
    let wanted_group = match api_version {
        Some(version) => Some(
            version
                .split_once('/')
                .map_or(String::new(), |(group, _)| group.to_string()),
        ),
        None => wanted_group,
    };
    let mut candidates = Vec::new();
    for group in discovery.groups() {
        if wanted_group.as_ref().is_some_and(|g| g != group.name()) {
            continue;
        }
        for (resource, capabilities) in group.recommended_resources() {
            let matches = resource.kind == wanted_kind
                || resource.kind.eq_ignore_ascii_case(wanted_kind)
                || resource.plural == wanted_kind;
            let version_ok = api_version.is_none_or(|v| v == resource.api_version);
            if matches && version_ok {
                candidates.push(Resolved {
                    namespaced: capabilities.scope == Scope::Namespaced,
                    resource,
                });
            }
        }
    }
    match candidates.len() {
        0 => Err(Error::UnknownKind {
            kind: kind.to_string(),
            api_version: api_version.map(str::to_string),
        }),
        1 => Ok(candidates.remove(0)),
        _ => {
            // Prefer the core and built-in groups, as kubectl does.
            let best = candidates
                .iter()
                .position(|c| c.resource.group.is_empty() || c.resource.group == "apps")
                .unwrap_or(0);
            Ok(candidates.remove(best))
        }
    }
}

/// Spinnaker's moniker on an object Deploy (Manifest) applies for `application`: the
/// application, and the cluster as Spinnaker names it (`deployment web`, `replicaSet web` for
/// `web-v002`), unless the object says its own. Stages that find objects by cluster when they
/// run (Deck's `mode: dynamic`) read them.
pub fn add_moniker(document: &mut Value, application: &str) {
    let (name, _) = identity(document);
    let kind = document
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind.is_empty() || name.is_empty() {
        return;
    }
    let mut chars = kind.chars();
    let first = chars.next().map(|c| c.to_ascii_lowercase());
    let kind: String = first.into_iter().chain(chars).collect();
    let cluster = format!("{kind} {}", split_version(&name).0);
    let Some(object) = document.as_object_mut() else {
        return;
    };
    let metadata = object.entry("metadata").or_insert_with(|| json!({}));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
    if annotations.is_null() {
        *annotations = json!({});
    }
    let Some(annotations) = annotations.as_object_mut() else {
        return;
    };
    annotations
        .entry(keys::MONIKER_APPLICATION)
        .or_insert_with(|| json!(application));
    annotations
        .entry(keys::MONIKER_CLUSTER)
        .or_insert_with(|| json!(cluster));
}

/// The name and namespace of a parsed document.
pub fn identity(document: &Value) -> (String, Option<String>) {
    let meta = document.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (name, namespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_documents_are_read() {
        let docs = parse_documents("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"b\"}}\n")
            .expect("two documents");
        assert_eq!(docs.len(), 2);
        assert_eq!(identity(&docs[1]).0, "b");
    }

    #[test]
    fn documents_that_are_not_objects_are_named() {
        let message = |text: &str| parse_documents(text).expect_err(text).to_string();
        assert!(message("just a string").contains("Document 1 is not a Kubernetes object"));
        assert!(
            message("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Pod\n")
                .contains("Document 2 is not a Kubernetes object: it has no apiVersion")
        );
        assert!(
            message("apiVersion: v1\nkind: Pod\nmetadata: {}\n").contains("has no metadata.name")
        );
        assert!(message("a: [").contains("not valid YAML"));
        assert!(message("").contains("empty"));
    }

    #[test]
    fn a_replica_set_selects_its_own_pods_and_carries_traffic_labels() {
        let spec = ServerGroupSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            stack: "prod".into(),
            image: "nginx:1".into(),
            replicas: 2,
            load_balancers: vec!["web-prod".into()],
            ..ServerGroupSpec::default()
        };
        let traffic = BTreeMap::from([(load_balancer_label("web-prod"), "true".to_string())]);
        let rs = replica_set(
            &spec,
            "web-prod-v000",
            0,
            &traffic,
            Some("gennaker-registry-hub"),
            "task-1",
        );
        assert_eq!(
            rs["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"],
            "gennaker-registry-hub"
        );
        assert_eq!(
            rs["spec"]["selector"]["matchLabels"][keys::SERVER_GROUP],
            "web-prod-v000"
        );
        assert_eq!(
            rs["spec"]["template"]["metadata"]["labels"]["load-balancer.gennaker.io/web-prod"],
            "true"
        );
        assert!(
            rs["metadata"]["labels"]
                .get("load-balancer.gennaker.io/web-prod")
                .is_none()
        );
        assert_eq!(
            rs["metadata"]["annotations"][keys::LOAD_BALANCERS],
            r#"["service web-prod"]"#
        );
        assert_eq!(rs["metadata"]["annotations"][keys::MONIKER_STACK], "prod");
    }

    #[test]
    fn deployed_objects_get_spinnakers_moniker_unless_they_have_one() {
        let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-v002", "annotations": null}});
        add_moniker(&mut rs, "shop");
        assert_eq!(
            rs["metadata"]["annotations"][keys::MONIKER_APPLICATION],
            "shop"
        );
        assert_eq!(
            rs["metadata"]["annotations"][keys::MONIKER_CLUSTER],
            "replicaSet web"
        );
        let mut own = json!({"kind": "Deployment", "metadata": {"name": "web",
            "annotations": {"moniker.spinnaker.io/cluster": "deployment frontend"}}});
        add_moniker(&mut own, "shop");
        assert_eq!(
            own["metadata"]["annotations"][keys::MONIKER_CLUSTER],
            "deployment frontend"
        );
        let mut nameless = json!({"kind": "ConfigMap"});
        add_moniker(&mut nameless, "shop");
        assert_eq!(nameless, json!({"kind": "ConfigMap"}));
    }
}
