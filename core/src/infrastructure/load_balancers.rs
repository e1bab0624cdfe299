//! Load balancers (Services) and security groups (NetworkPolicies): what a user edits, its
//! validation, and how an existing one is shown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::names::{
    Moniker, dns_label_problem, label_key_problem, label_value_ok, placement_problems,
};
use super::server_groups::{ObjectRef, Protocol};
use crate::error::FieldError;
use crate::time::Timestamp;

/// The Service types Gennaker offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    pub const ALL: [ServiceType; 3] = [
        ServiceType::ClusterIP,
        ServiceType::NodePort,
        ServiceType::LoadBalancer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
    pub fn parse(text: &str) -> Option<ServiceType> {
        ServiceType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// One port of a load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    #[serde(default)]
    pub name: String,
    pub port: i64,
    /// The container port traffic goes to; 0 means the same as `port`.
    #[serde(default)]
    pub target_port: i64,
    /// For NodePort and LoadBalancer: the port opened on every node; 0 lets Kubernetes choose.
    #[serde(default)]
    pub node_port: i64,
    #[serde(default)]
    pub protocol: Protocol,
}

/// "Create Load Balancer": a Service for an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerSpec {
    pub application: String,
    pub account: String,
    pub namespace: String,
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub detail: String,
    #[serde(rename = "type", default)]
    pub kind: ServiceType,
    pub ports: Vec<ServicePort>,
}

/// The NodePort range of a default kube-apiserver.
pub const NODE_PORTS: std::ops::RangeInclusive<i64> = 30000..=32767;

impl LoadBalancerSpec {
    pub fn moniker(&self) -> Moniker {
        Moniker::new(&self.application, &self.stack, &self.detail)
    }

    /// The Service's name: the cluster name of the moniker.
    pub fn name(&self) -> String {
        self.moniker().cluster()
    }

    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = placement_problems(&self.account, &self.namespace, &self.moniker());
        if self.ports.is_empty() {
            errors.push(FieldError::new(
                "ports",
                "A load balancer needs at least one port.",
            ));
        }
        for (i, port) in self.ports.iter().enumerate() {
            let n = i + 1;
            if !(1..=65535).contains(&port.port) {
                errors.push(FieldError::new(
                    "ports",
                    format!("Port {n}: {} is not between 1 and 65535.", port.port),
                ));
                break;
            }
            if !(0..=65535).contains(&port.target_port) {
                errors.push(FieldError::new(
                    "ports",
                    format!(
                        "Port {n}: target port {} is not between 1 and 65535.",
                        port.target_port
                    ),
                ));
                break;
            }
            if port.node_port != 0 {
                if self.kind == ServiceType::ClusterIP {
                    errors.push(FieldError::new(
                        "ports",
                        format!("Port {n}: a node port needs the type NodePort or LoadBalancer."),
                    ));
                    break;
                }
                if !NODE_PORTS.contains(&port.node_port) {
                    errors.push(FieldError::new(
                        "ports",
                        format!(
                            "Port {n}: node port {} is outside {}–{}.",
                            port.node_port,
                            NODE_PORTS.start(),
                            NODE_PORTS.end()
                        ),
                    ));
                    break;
                }
            }
            if self.ports.len() > 1 && port.name.is_empty() {
                errors.push(FieldError::new(
                    "ports",
                    format!("Port {n}: name every port when there are several."),
                ));
                break;
            }
            if !port.name.is_empty() && dns_label_problem("", &port.name).is_some() {
                errors.push(FieldError::new("ports", format!("Port {n}: name {:?} may contain only lowercase letters, digits and hyphens.", port.name)));
                break;
            }
        }
        errors
    }
}

/// A load balancer as the cache sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    pub account: String,
    pub namespace: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub cluster_ip: String,
    pub ports: Vec<ServicePort>,
    pub selector: BTreeMap<String, String>,
    /// Server groups whose Pods the Service selects now (enabled ones).
    pub server_groups: Vec<String>,
    /// Ready endpoints (Pods receiving traffic).
    pub ready_pods: Vec<String>,
    pub created_at: Option<Timestamp>,
    /// What the edit dialog starts from.
    pub spec: LoadBalancerSpec,
}

impl LoadBalancer {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            account: self.account.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// Where traffic allowed by an ingress rule may come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind",
    deny_unknown_fields
)]
pub enum Peer {
    /// Pods with these labels, in the policy's namespace.
    Pods { labels: BTreeMap<String, String> },
    /// Every Pod in namespaces with these labels.
    Namespaces { labels: BTreeMap<String, String> },
    /// An IP block.
    Cidr { cidr: String },
}

/// One ingress rule: these ports, from these peers (no peers: from anywhere).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    #[serde(default)]
    pub ports: Vec<RulePort>,
    #[serde(default)]
    pub from: Vec<Peer>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulePort {
    pub port: i64,
    #[serde(default)]
    pub protocol: Protocol,
}

/// "Create Security Group": a NetworkPolicy for an application's Pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityGroupSpec {
    pub application: String,
    pub account: String,
    pub namespace: String,
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub detail: String,
    /// Which of the application's Pods it guards; empty: all of them.
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
    pub ingress: Vec<IngressRule>,
}

impl SecurityGroupSpec {
    pub fn moniker(&self) -> Moniker {
        Moniker::new(&self.application, &self.stack, &self.detail)
    }

    pub fn name(&self) -> String {
        self.moniker().cluster()
    }

    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = placement_problems(&self.account, &self.namespace, &self.moniker());
        let label_problem = |labels: &BTreeMap<String, String>| {
            labels.iter().find_map(|(k, v)| {
                label_key_problem(k).or_else(|| {
                    (!label_value_ok(v)).then(|| format!("Label value {v:?} is not a label value."))
                })
            })
        };
        if let Some(problem) = label_problem(&self.pod_labels) {
            errors.push(FieldError::new("podLabels", problem));
        }
        'rules: for (i, rule) in self.ingress.iter().enumerate() {
            let n = i + 1;
            for port in &rule.ports {
                if !(1..=65535).contains(&port.port) {
                    errors.push(FieldError::new(
                        "ingress",
                        format!("Rule {n}: port {} is not between 1 and 65535.", port.port),
                    ));
                    break 'rules;
                }
            }
            for peer in &rule.from {
                let problem = match peer {
                    Peer::Pods { labels } | Peer::Namespaces { labels } => label_problem(labels),
                    Peer::Cidr { cidr } => cidr_problem(cidr),
                };
                if let Some(problem) = problem {
                    errors.push(FieldError::new("ingress", format!("Rule {n}: {problem}")));
                    break 'rules;
                }
            }
        }
        errors
    }
}

/// Why `cidr` is not an IPv4 or IPv6 block such as 10.0.0.0/8, if it is not.
pub fn cidr_problem(cidr: &str) -> Option<String> {
    let bad = || Some(format!("{cidr:?} is not an IP block such as 10.0.0.0/8."));
    let Some((address, bits)) = cidr.split_once('/') else {
        return bad();
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return bad();
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) if bits <= 32 => None,
        Ok(std::net::IpAddr::V6(_)) if bits <= 128 => None,
        _ => bad(),
    }
}

/// A security group as the cache sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    pub account: String,
    pub namespace: String,
    pub name: String,
    pub created_at: Option<Timestamp>,
    pub spec: SecurityGroupSpec,
}

impl SecurityGroup {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            account: self.account.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb() -> LoadBalancerSpec {
        LoadBalancerSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            kind: ServiceType::NodePort,
            ports: vec![ServicePort {
                port: 80,
                target_port: 8080,
                node_port: 30009,
                ..ServicePort::default()
            }],
            ..LoadBalancerSpec::default()
        }
    }

    #[test]
    fn node_ports_must_be_in_range_and_need_the_type() {
        assert!(lb().validate().is_empty());
        let mut bad = lb();
        bad.ports[0].node_port = 80;
        assert!(bad.validate()[0].message.contains("outside 30000–32767"));
        bad.kind = ServiceType::ClusterIP;
        assert!(
            bad.validate()[0]
                .message
                .contains("needs the type NodePort")
        );
    }

    #[test]
    fn security_group_rules_are_checked() {
        let mut sg = SecurityGroupSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            ingress: vec![IngressRule {
                ports: vec![RulePort {
                    port: 80,
                    protocol: Protocol::Tcp,
                }],
                from: vec![Peer::Cidr {
                    cidr: "10.0.0.0/8".into(),
                }],
            }],
            ..SecurityGroupSpec::default()
        };
        assert!(sg.validate().is_empty());
        sg.ingress[0].from.push(Peer::Cidr {
            cidr: "10.0.0.0/33".into(),
        });
        assert_eq!(sg.validate()[0].field, "ingress");
        assert!(cidr_problem("fd00::/8").is_none());
    }
}
