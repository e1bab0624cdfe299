//! Server groups (ReplicaSets named `cluster-vNNN`): what a user asks for when creating one,
//! its validation, and how a running one is shown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::image::ImageReference;
use super::names::{
    Moniker, dns_label_problem, label_key_problem, label_value_ok, placement_problems, quantity_ok,
};
use crate::error::FieldError;
use crate::time::Timestamp;

/// The most replicas a server group may ask for through Gennaker.
pub const MAX_REPLICAS: i64 = 1000;

/// Why a server group or Deployment cannot have `replicas`, if it cannot.
pub fn replicas_problem(replicas: i64) -> Option<String> {
    (!(0..=MAX_REPLICAS).contains(&replicas))
        .then(|| format!("Replicas must be between 0 and {MAX_REPLICAS} (it is {replicas})."))
}

/// Everything "Create New Server Group" asks for. Replicas and ports are signed so that a
/// negative number reaches validation and gets a message, rather than failing to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerGroupSpec {
    pub application: String,
    pub account: String,
    pub namespace: String,
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub detail: String,
    /// An image reference; the tag picker fills it from a docker-registry account.
    pub image: String,
    pub replicas: i64,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(default)]
    pub resources: Resources,
    /// Extra labels on the ReplicaSet and its Pods.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Services (load balancers) whose traffic the Pods receive.
    #[serde(default)]
    pub load_balancers: Vec<String>,
    /// Schedules the Pods only onto nodes with these labels.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    #[serde(default)]
    pub name: String,
    pub container_port: i64,
    #[serde(default)]
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// CPU and memory requests and limits as Kubernetes quantities (`250m`, `128Mi`); empty = unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    pub cpu_request: String,
    #[serde(default)]
    pub cpu_limit: String,
    #[serde(default)]
    pub memory_request: String,
    #[serde(default)]
    pub memory_limit: String,
}

impl ServerGroupSpec {
    pub fn moniker(&self) -> Moniker {
        Moniker::new(&self.application, &self.stack, &self.detail)
    }

    /// The cluster the server group joins.
    pub fn cluster(&self) -> String {
        self.moniker().cluster()
    }

    /// Every problem with the input, one per field; empty when it is valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = placement_problems(&self.account, &self.namespace, &self.moniker());
        if let Err(problem) = ImageReference::parse(&self.image) {
            errors.push(FieldError::new("image", problem));
        }
        if let Some(problem) = replicas_problem(self.replicas) {
            errors.push(FieldError::new("replicas", problem));
        }
        if self.command.iter().chain(&self.args).any(|a| a.is_empty()) {
            errors.push(FieldError::new(
                "command",
                "Command and arguments cannot contain empty entries.",
            ));
        }
        for var in &self.env {
            let ok = !var.name.is_empty()
                && !var.name.starts_with(|c: char| c.is_ascii_digit())
                && var
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
            if !ok {
                errors.push(FieldError::new("env", format!("Environment variable name {:?} must be letters, digits, '_', '-' or '.', not starting with a digit.", var.name)));
                break;
            }
        }
        let mut seen = Vec::new();
        for port in &self.ports {
            if !(1..=65535).contains(&port.container_port) {
                errors.push(FieldError::new(
                    "ports",
                    format!(
                        "Container port {} must be between 1 and 65535.",
                        port.container_port
                    ),
                ));
                break;
            }
            if seen.contains(&(port.container_port, port.protocol)) {
                errors.push(FieldError::new(
                    "ports",
                    format!(
                        "Container port {} {} is listed twice.",
                        port.container_port,
                        port.protocol.as_str()
                    ),
                ));
                break;
            }
            seen.push((port.container_port, port.protocol));
            if !port.name.is_empty()
                && (port.name.len() > 15 || dns_label_problem("", &port.name).is_some())
            {
                errors.push(FieldError::new(
                    "ports",
                    format!(
                        "Port name {:?} must be at most 15 lowercase letters, digits and hyphens.",
                        port.name
                    ),
                ));
                break;
            }
        }
        let r = &self.resources;
        for (field, value, label) in [
            ("resources.cpuRequest", &r.cpu_request, "CPU request"),
            ("resources.cpuLimit", &r.cpu_limit, "CPU limit"),
            (
                "resources.memoryRequest",
                &r.memory_request,
                "Memory request",
            ),
            ("resources.memoryLimit", &r.memory_limit, "Memory limit"),
        ] {
            if !value.is_empty() && !quantity_ok(value) {
                errors.push(FieldError::new(
                    field,
                    format!("{label} {value:?} is not a quantity such as 250m, 0.5, 128Mi or 1Gi."),
                ));
            }
        }
        for (field, map) in [
            ("labels", &self.labels),
            ("nodeSelector", &self.node_selector),
        ] {
            for (key, value) in map {
                if let Some(problem) = label_key_problem(key) {
                    errors.push(FieldError::new(field, problem));
                    break;
                }
                if !label_value_ok(value) {
                    errors.push(FieldError::new(field, format!("Label value {value:?} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.")));
                    break;
                }
            }
        }
        for name in &self.load_balancers {
            if let Some(problem) = dns_label_problem("Load balancer", name) {
                errors.push(FieldError::new("loadBalancers", problem));
                break;
            }
        }
        errors
    }
}

/// Where a server group lives and what it is called.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectRef {
    pub account: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}/{}", self.name, self.account, self.namespace)
    }
}

/// How an instance is doing, in Spinnaker's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    /// Running and Ready, receiving traffic.
    Up,
    /// Not yet Ready.
    Starting,
    /// Failed or unknown to the kubelet.
    Down,
    /// Ready, but its server group is disabled: no load balancer sends it traffic.
    OutOfService,
    /// Ran to completion (a Job's Pod).
    Completed,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Up => "Up",
            Health::Starting => "Starting",
            Health::Down => "Down",
            Health::OutOfService => "Out of service",
            Health::Completed => "Completed",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Starting => "starting",
            Health::Down => "down",
            Health::OutOfService => "out-of-service",
            Health::Completed => "completed",
        }
    }
}

/// One Pod of a server group or a Job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub name: String,
    pub health: Health,
    /// The Pod's phase (`Running`, `Pending`, …).
    pub phase: String,
    pub node: String,
    pub ip: String,
    /// Kubernetes sets it on every object it stores; `None` only for one it has not.
    pub created_at: Option<Timestamp>,
}

/// A server group as the cache sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerGroup {
    pub account: String,
    pub namespace: String,
    pub name: String,
    pub cluster: String,
    pub moniker: Moniker,
    pub sequence: Option<u32>,
    pub images: Vec<String>,
    /// Replicas asked for.
    pub desired: i32,
    /// Pods that are Ready.
    pub ready: i32,
    pub created_at: Option<Timestamp>,
    /// No attached load balancer selects its Pods.
    pub disabled: bool,
    /// Services it is attached to (from the traffic annotation).
    pub load_balancers: Vec<String>,
    pub instances: Vec<Instance>,
    /// The options it was made with, for "Clone"; `None` when it was not made by Gennaker,
    /// its Pod template has more than one container, or a Deployment owns it.
    pub spec: Option<ServerGroupSpec>,
    /// The Deployment that owns this ReplicaSet (its `sequence` is then the revision): the
    /// Deployment's actions change it, not the server group actions.
    #[serde(default)]
    pub deployment: Option<String>,
}

impl ServerGroup {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            account: self.account.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// Server groups of one cluster in one account and namespace, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub account: String,
    pub namespace: String,
    pub name: String,
    pub server_groups: Vec<ServerGroup>,
    /// Set when the cluster is a Deployment: its server groups are its ReplicaSets, one per
    /// revision, newest first.
    #[serde(default)]
    pub deployment: Option<DeploymentStatus>,
}

impl ClusterView {
    /// The Deployment this cluster shows, when it is one.
    pub fn deployment_ref(&self) -> Option<ObjectRef> {
        self.deployment.as_ref().map(|_| ObjectRef {
            account: self.account.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        })
    }
}

/// Where a Deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state", content = "reason")]
pub enum Rollout {
    /// Every replica runs the current template and is available.
    Complete,
    /// Replicas of the current template are still being created or old ones removed.
    Progressing,
    /// `spec.paused`: changes to the template wait.
    Paused,
    /// The progress deadline passed; the reason is Kubernetes' message.
    Failed(String),
}

impl Rollout {
    pub fn label(&self) -> &'static str {
        match self {
            Rollout::Complete => "Rolled out",
            Rollout::Progressing => "Rolling out",
            Rollout::Paused => "Paused",
            Rollout::Failed(_) => "Rollout failed",
        }
    }
    /// The status badge class.
    pub fn class(&self) -> &'static str {
        match self {
            Rollout::Complete => "succeeded",
            Rollout::Progressing => "running",
            Rollout::Paused => "canceled",
            Rollout::Failed(_) => "failed",
        }
    }
}

/// A Deployment's replica counts and rollout, as the Deployment controller reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    /// The revision of the current Pod template, when the controller has assigned one.
    pub revision: Option<u32>,
    pub desired: i32,
    /// Replicas running the current template.
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub rollout: Rollout,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ServerGroupSpec {
        ServerGroupSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            image: "127.0.0.1:29500/gennaker/hello:1.0.0".into(),
            replicas: 2,
            ..ServerGroupSpec::default()
        }
    }

    fn fields(spec: &ServerGroupSpec) -> Vec<String> {
        spec.validate().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_plain_spec_is_valid() {
        assert!(spec().validate().is_empty());
        assert_eq!(spec().cluster(), "web");
    }

    #[test]
    fn bad_input_is_named_field_by_field() {
        let mut bad = spec();
        bad.image = "Not An Image".into();
        bad.replicas = -1;
        bad.namespace = "Default".into();
        bad.ports = vec![ContainerPort {
            name: String::new(),
            container_port: 70000,
            protocol: Protocol::Tcp,
        }];
        bad.resources.cpu_request = "lots".into();
        bad.labels.insert("bad key".into(), "x".into());
        assert_eq!(
            fields(&bad),
            [
                "namespace",
                "image",
                "replicas",
                "ports",
                "resources.cpuRequest",
                "labels"
            ]
        );
        let replicas = bad
            .validate()
            .into_iter()
            .find(|e| e.field == "replicas")
            .map(|e| e.message);
        assert_eq!(
            replicas.as_deref(),
            Some("Replicas must be between 0 and 1000 (it is -1).")
        );
    }

    #[test]
    fn a_name_too_long_for_pods_is_refused() {
        let mut long = spec();
        long.application = "a".repeat(40);
        long.stack = "stack".into();
        long.detail = "detailtoolong".into();
        assert_eq!(fields(&long), ["detail"]);
    }
}
