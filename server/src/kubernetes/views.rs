//! Read models built from the cache: an application's clusters with their server groups and
//! instances, its load balancers and its security groups.

use std::collections::{BTreeMap, BTreeSet};

use gennaker_core::infrastructure::load_balancers::{
    IngressRule, LoadBalancer, LoadBalancerSpec, Peer, RulePort, SecurityGroup, SecurityGroupSpec,
    ServicePort, ServiceType,
};
use gennaker_core::infrastructure::names::keys;
use gennaker_core::infrastructure::server_groups::{
    ClusterView, ContainerPort, DeploymentStatus, EnvVar, Health, Instance, Protocol, Resources,
    Rollout, ServerGroup, ServerGroupSpec,
};
use gennaker_core::time::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;

use super::Kubernetes;
use super::cache::Cache;
use super::moniker::{Named, application_of, attached_load_balancers, moniker_of};

/// A Kubernetes time (a `jiff::Timestamp`) as the one timestamp type of the API and the UI.
pub fn time(t: Option<&Time>) -> Option<Timestamp> {
    t.map(|t| Timestamp::from_millis(t.0.as_millisecond()))
}

fn protocol(text: Option<&String>) -> Protocol {
    text.and_then(|p| Protocol::parse(p)).unwrap_or_default()
}

/// Whether every pair of `selector` is among `labels` (an empty selector selects nothing).
pub fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn service_selector(service: &Service) -> BTreeMap<String, String> {
    service
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default()
}

fn template_labels(rs: &ReplicaSet) -> BTreeMap<String, String> {
    rs.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// The Pods a ReplicaSet owns.
pub fn owned_pods(cache: &Cache, rs: &ReplicaSet) -> Vec<std::sync::Arc<Pod>> {
    pods_owned_by(cache, &rs.metadata)
}

/// The Pods whose owner is the object `owner` describes (a ReplicaSet, a Job).
pub fn pods_owned_by(
    cache: &Cache,
    owner: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Vec<std::sync::Arc<Pod>> {
    let uid = owner.uid.clone().unwrap_or_default();
    cache
        .pods
        .in_namespace(owner.namespace.as_deref().unwrap_or_default())
        .into_iter()
        .filter(|pod| pod.owner_references().iter().any(|o| o.uid == uid))
        .collect()
}

/// Whether a Pod is Ready and not going away.
pub fn pod_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The names and images of the containers of a ReplicaSet's Pod template.
pub fn containers(rs: &ReplicaSet) -> Vec<(String, String)> {
    rs.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .map(|p| {
            p.containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the server group receives no traffic: it is attached to load balancers and none of
/// those that exist selects its Pod template.
pub fn is_disabled(cache: &Cache, rs: &ReplicaSet) -> bool {
    let attached = attached_load_balancers(&rs.metadata);
    if attached.is_empty() {
        return false;
    }
    let namespace = rs.namespace().unwrap_or_default();
    let labels = template_labels(rs);
    !attached.iter().any(|name| {
        cache
            .services
            .get(&namespace, name)
            .is_some_and(|svc| selects(&service_selector(&svc), &labels))
    })
}

pub fn instance(pod: &Pod, disabled: bool) -> Instance {
    let status = pod.status.as_ref();
    let phase = if pod.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into())
    };
    let health = match phase.as_str() {
        // A finished Pod may still carry its last Ready condition.
        "Succeeded" => Health::Completed,
        _ if pod_ready(pod) && disabled => Health::OutOfService,
        _ if pod_ready(pod) => Health::Up,
        "Failed" | "Unknown" | "Terminating" => Health::Down,
        _ => Health::Starting,
    };
    Instance {
        name: pod.name_any(),
        health,
        phase,
        node: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        ip: status.and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        created_at: time(pod.metadata.creation_timestamp.as_ref()),
    }
}

/// The options a ReplicaSet was made with, as far as the create dialog can express them.
fn spec_of(
    account: &str,
    rs: &ReplicaSet,
    moniker: &gennaker_core::infrastructure::names::Moniker,
) -> Option<ServerGroupSpec> {
    let template = rs.spec.as_ref()?.template.as_ref()?;
    let pod = template.spec.as_ref()?;
    let [container] = pod.containers.as_slice() else {
        return None;
    };
    let load_balancers = attached_load_balancers(&rs.metadata);
    let managed = [keys::APP_NAME, keys::SERVER_GROUP, keys::MANAGED_BY];
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| {
            !managed.contains(&k.as_str()) && !k.starts_with(keys::LOAD_BALANCER_PREFIX)
        })
        .collect();
    let resources = container.resources.as_ref();
    let quantity = |map: Option<
        &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
                    key: &str| {
        map.and_then(|m| m.get(key))
            .map(|q| q.0.clone())
            .unwrap_or_default()
    };
    Some(ServerGroupSpec {
        application: moniker.application.clone(),
        account: account.to_string(),
        namespace: rs.namespace().unwrap_or_default(),
        stack: moniker.stack.clone(),
        detail: moniker.detail.clone(),
        image: container.image.clone().unwrap_or_default(),
        replicas: i64::from(rs.spec.as_ref()?.replicas.unwrap_or(1)),
        command: container.command.clone().unwrap_or_default(),
        args: container.args.clone().unwrap_or_default(),
        env: container
            .env
            .iter()
            .flatten()
            .map(|e| EnvVar {
                name: e.name.clone(),
                value: e.value.clone().unwrap_or_default(),
            })
            .collect(),
        ports: container
            .ports
            .iter()
            .flatten()
            .map(|p| ContainerPort {
                name: p.name.clone().unwrap_or_default(),
                container_port: i64::from(p.container_port),
                protocol: protocol(p.protocol.as_ref()),
            })
            .collect(),
        resources: Resources {
            cpu_request: quantity(resources.and_then(|r| r.requests.as_ref()), "cpu"),
            cpu_limit: quantity(resources.and_then(|r| r.limits.as_ref()), "cpu"),
            memory_request: quantity(resources.and_then(|r| r.requests.as_ref()), "memory"),
            memory_limit: quantity(resources.and_then(|r| r.limits.as_ref()), "memory"),
        },
        labels,
        load_balancers,
        node_selector: pod.node_selector.clone().unwrap_or_default(),
    })
}

/// The server group view of one ReplicaSet.
pub fn server_group(account: &str, cache: &Cache, rs: &ReplicaSet) -> Option<ServerGroup> {
    let named = moniker_of(&rs.metadata)?;
    let spec = spec_of(account, rs, &named.moniker);
    Some(server_group_named(account, cache, rs, named, spec, None))
}

fn server_group_named(
    account: &str,
    cache: &Cache,
    rs: &ReplicaSet,
    named: Named,
    spec: Option<ServerGroupSpec>,
    deployment: Option<String>,
) -> ServerGroup {
    let disabled = is_disabled(cache, rs);
    let mut instances: Vec<Instance> = owned_pods(cache, rs)
        .iter()
        .map(|p| instance(p, disabled))
        .collect();
    instances.sort_by(|a, b| a.name.cmp(&b.name));
    let images = containers(rs)
        .into_iter()
        .map(|(_, image)| image)
        .filter(|image| !image.is_empty())
        .collect();
    ServerGroup {
        account: account.to_string(),
        namespace: rs.namespace().unwrap_or_default(),
        name: rs.name_any(),
        cluster: named.cluster.clone(),
        sequence: named.sequence,
        images,
        desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        ready: instances
            .iter()
            .filter(|i| matches!(i.health, Health::Up | Health::OutOfService))
            .count() as i32,
        created_at: time(rs.metadata.creation_timestamp.as_ref()),
        disabled,
        load_balancers: attached_load_balancers(&rs.metadata),
        instances,
        spec,
        moniker: named.moniker,
        deployment,
    }
}

/// The revision the Deployment controller gave a Deployment or one of its ReplicaSets.
fn revision(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<u32> {
    meta.annotations
        .as_ref()?
        .get("deployment.kubernetes.io/revision")?
        .parse()
        .ok()
}

/// Where a Deployment's rollout stands, read as `kubectl rollout status` reads it.
pub fn rollout(deployment: &Deployment) -> Rollout {
    let spec = deployment.spec.as_ref();
    if spec.and_then(|s| s.paused) == Some(true) {
        return Rollout::Paused;
    }
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let Some(status) = deployment.status.as_ref() else {
        return Rollout::Progressing;
    };
    let deadline_passed = status.conditions.iter().flatten().find(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if let Some(condition) = deadline_passed {
        return Rollout::Failed(
            condition
                .message
                .clone()
                .unwrap_or_else(|| "the rollout did not progress within its deadline".to_string()),
        );
    }
    let observed =
        status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    if observed
        && updated >= desired
        && status.replicas.unwrap_or(0) <= updated
        && status.available_replicas.unwrap_or(0) >= updated
    {
        Rollout::Complete
    } else {
        Rollout::Progressing
    }
}

/// A Deployment as a cluster: its ReplicaSets, newest revision first, as server groups.
fn deployment_cluster(account: &str, cache: &Cache, deployment: &Deployment) -> ClusterView {
    let namespace = deployment.namespace().unwrap_or_default();
    let name = deployment.name_any();
    let uid = deployment.metadata.uid.clone().unwrap_or_default();
    let moniker = moniker_of(&deployment.metadata)
        .map(|n| n.moniker)
        .unwrap_or_default();
    let mut server_groups: Vec<ServerGroup> = cache
        .replica_sets
        .in_namespace(&namespace)
        .into_iter()
        .filter(|rs| rs.owner_references().iter().any(|o| o.uid == uid))
        .map(|rs| {
            let named = Named {
                moniker: moniker.clone(),
                cluster: name.clone(),
                sequence: revision(&rs.metadata),
            };
            server_group_named(account, cache, &rs, named, None, Some(name.clone()))
        })
        .collect();
    server_groups.sort_by(|a, b| (b.sequence, &b.created_at).cmp(&(a.sequence, &a.created_at)));
    let status = deployment.status.clone().unwrap_or_default();
    ClusterView {
        account: account.to_string(),
        namespace,
        name,
        server_groups,
        deployment: Some(DeploymentStatus {
            revision: revision(&deployment.metadata),
            desired: deployment
                .spec
                .as_ref()
                .and_then(|s| s.replicas)
                .unwrap_or(1),
            updated: status.updated_replicas.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            rollout: rollout(deployment),
        }),
    }
}

impl Kubernetes {
    /// The application's clusters in every account, each with its server groups newest first.
    pub fn clusters(&self, application: &str) -> Vec<ClusterView> {
        let mut clusters: BTreeMap<(String, String, String), Vec<ServerGroup>> = BTreeMap::new();
        for (account, connection) in self.connected() {
            let cache = &connection.cache;
            for rs in cache.replica_sets.all() {
                if application_of(&rs.metadata).as_deref() != Some(application) {
                    continue;
                }
                // A ReplicaSet a Deployment owns is the Deployment's business, not a server group.
                if rs.owner_references().iter().any(|o| o.kind == "Deployment") {
                    continue;
                }
                if let Some(group) = server_group(account, cache, &rs) {
                    clusters
                        .entry((
                            account.to_string(),
                            group.namespace.clone(),
                            group.cluster.clone(),
                        ))
                        .or_default()
                        .push(group);
                }
            }
        }
        clusters
            .into_iter()
            .map(|((account, namespace, name), mut server_groups)| {
                server_groups
                    .sort_by(|a, b| (b.sequence, &b.created_at).cmp(&(a.sequence, &a.created_at)));
                ClusterView {
                    account,
                    namespace,
                    name,
                    server_groups,
                    deployment: None,
                }
            })
            .chain(self.connected().flat_map(|(account, connection)| {
                let cache = &connection.cache;
                let mut deployments: Vec<ClusterView> = cache
                    .deployments
                    .all()
                    .into_iter()
                    .filter(|d| application_of(&d.metadata).as_deref() == Some(application))
                    .map(|d| deployment_cluster(account, cache, &d))
                    .collect();
                deployments.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                deployments
            }))
            .collect()
    }

    /// The application's Services.
    pub fn load_balancers(&self, application: &str) -> Vec<LoadBalancer> {
        let mut result = Vec::new();
        for (account, connection) in self.connected() {
            let cache = &connection.cache;
            for svc in cache.services.all() {
                let Some(named) = moniker_of(&svc.metadata) else {
                    continue;
                };
                if named.moniker.application != application {
                    continue;
                }
                let namespace = svc.namespace().unwrap_or_default();
                let selector = service_selector(&svc);
                let server_groups = cache
                    .replica_sets
                    .in_namespace(&namespace)
                    .into_iter()
                    .filter(|rs| selects(&selector, &template_labels(rs)))
                    .map(|rs| rs.name_any())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let spec = svc.spec.clone().unwrap_or_default();
                let ports: Vec<ServicePort> = spec
                    .ports
                    .iter()
                    .flatten()
                    .map(|p| ServicePort {
                        name: p.name.clone().unwrap_or_default(),
                        port: i64::from(p.port),
                        target_port: match &p.target_port {
                            Some(IntOrString::Int(n)) => i64::from(*n),
                            _ => 0,
                        },
                        node_port: p.node_port.map(i64::from).unwrap_or_default(),
                        protocol: protocol(p.protocol.as_ref()),
                    })
                    .collect();
                let kind = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
                result.push(LoadBalancer {
                    account: account.to_string(),
                    namespace: namespace.clone(),
                    name: svc.name_any(),
                    kind: kind.clone(),
                    cluster_ip: spec.cluster_ip.clone().unwrap_or_default(),
                    ready_pods: ready_endpoints(cache, &namespace, &svc.name_any()),
                    server_groups,
                    created_at: time(svc.metadata.creation_timestamp.as_ref()),
                    selector,
                    ports: ports.clone(),
                    spec: LoadBalancerSpec {
                        application: application.to_string(),
                        account: account.to_string(),
                        namespace,
                        stack: named.moniker.stack,
                        detail: named.moniker.detail,
                        kind: ServiceType::parse(&kind).unwrap_or_default(),
                        ports,
                    },
                });
            }
        }
        result.sort_by(|a, b| {
            (&a.account, &a.namespace, &a.name).cmp(&(&b.account, &b.namespace, &b.name))
        });
        result
    }

    /// The application's NetworkPolicies.
    pub fn security_groups(&self, application: &str) -> Vec<SecurityGroup> {
        let mut result = Vec::new();
        for (account, connection) in self.connected() {
            for policy in connection.cache.network_policies.all() {
                let Some(named) = moniker_of(&policy.metadata) else {
                    continue;
                };
                if named.moniker.application != application {
                    continue;
                }
                result.push(SecurityGroup {
                    account: account.to_string(),
                    namespace: policy.namespace().unwrap_or_default(),
                    name: policy.name_any(),
                    created_at: time(policy.metadata.creation_timestamp.as_ref()),
                    spec: security_group_spec(account, &policy, named.moniker),
                });
            }
        }
        result.sort_by(|a, b| {
            (&a.account, &a.namespace, &a.name).cmp(&(&b.account, &b.namespace, &b.name))
        });
        result
    }
}

/// Names of the Pods a Service's EndpointSlices list as ready.
pub fn ready_endpoints(cache: &Cache, namespace: &str, service: &str) -> Vec<String> {
    let mut pods: Vec<String> = cache
        .endpoint_slices
        .in_namespace(namespace)
        .into_iter()
        .filter(|slice| {
            slice
                .labels()
                .get("kubernetes.io/service-name")
                .map(String::as_str)
                == Some(service)
        })
        .flat_map(|slice| {
            slice
                .endpoints
                .iter()
                .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false))
                .filter_map(|e| e.target_ref.as_ref().and_then(|t| t.name.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    pods.sort();
    pods.dedup();
    pods
}

fn labels_of(selector: Option<&LabelSelector>) -> BTreeMap<String, String> {
    selector
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default()
}

fn security_group_spec(
    account: &str,
    policy: &NetworkPolicy,
    moniker: gennaker_core::infrastructure::names::Moniker,
) -> SecurityGroupSpec {
    let spec = policy.spec.clone().unwrap_or_default();
    let mut pod_labels = labels_of(spec.pod_selector.as_ref());
    pod_labels.remove(keys::APP_NAME);
    let ingress = spec
        .ingress
        .iter()
        .flatten()
        .map(|rule| IngressRule {
            ports: rule
                .ports
                .iter()
                .flatten()
                .filter_map(|p| match &p.port {
                    Some(IntOrString::Int(n)) => Some(RulePort {
                        port: i64::from(*n),
                        protocol: protocol(p.protocol.as_ref()),
                    }),
                    _ => None,
                })
                .collect(),
            from: rule
                .from
                .iter()
                .flatten()
                .filter_map(|peer| {
                    if let Some(block) = &peer.ip_block {
                        Some(Peer::Cidr {
                            cidr: block.cidr.clone(),
                        })
                    } else if let Some(ns) = &peer.namespace_selector {
                        Some(Peer::Namespaces {
                            labels: labels_of(Some(ns)),
                        })
                    } else {
                        peer.pod_selector.as_ref().map(|p| Peer::Pods {
                            labels: labels_of(Some(p)),
                        })
                    }
                })
                .collect(),
        })
        .collect();
    SecurityGroupSpec {
        application: moniker.application,
        account: account.to_string(),
        namespace: policy.namespace().unwrap_or_default(),
        stack: moniker.stack,
        detail: moniker.detail,
        pod_labels,
        ingress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentSpec, DeploymentStatus};

    fn deployment(
        generation: i64,
        replicas: i32,
        status: DeploymentStatus,
        paused: bool,
    ) -> Deployment {
        Deployment {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                generation: Some(generation),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                paused: paused.then_some(true),
                ..Default::default()
            }),
            status: Some(status),
        }
    }

    fn counts(observed: i64, replicas: i32, updated: i32, available: i32) -> DeploymentStatus {
        DeploymentStatus {
            observed_generation: Some(observed),
            replicas: Some(replicas),
            updated_replicas: Some(updated),
            available_replicas: Some(available),
            ..Default::default()
        }
    }

    #[test]
    fn a_rollout_is_complete_when_every_replica_is_updated_and_available() {
        assert_eq!(
            rollout(&deployment(2, 3, counts(2, 3, 3, 3), false)),
            Rollout::Complete
        );
    }

    #[test]
    fn a_rollout_progresses_until_the_controller_has_seen_the_change_and_old_pods_are_gone() {
        // The controller has not seen generation 3 yet.
        assert_eq!(
            rollout(&deployment(3, 3, counts(2, 3, 3, 3), false)),
            Rollout::Progressing
        );
        // New Pods not all there yet.
        assert_eq!(
            rollout(&deployment(2, 3, counts(2, 4, 2, 3), false)),
            Rollout::Progressing
        );
        // Old Pods still running beside the new ones.
        assert_eq!(
            rollout(&deployment(2, 3, counts(2, 4, 3, 3), false)),
            Rollout::Progressing
        );
        // Updated but not available.
        assert_eq!(
            rollout(&deployment(2, 3, counts(2, 3, 3, 1), false)),
            Rollout::Progressing
        );
    }

    #[test]
    fn a_paused_deployment_and_a_passed_deadline_are_told_apart() {
        assert_eq!(
            rollout(&deployment(2, 3, counts(2, 3, 1, 1), true)),
            Rollout::Paused
        );
        let mut status = counts(2, 3, 1, 1);
        status.conditions = Some(vec![DeploymentCondition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: Some("ProgressDeadlineExceeded".into()),
            message: Some("ReplicaSet \"web-5d8\" has timed out progressing.".into()),
            ..Default::default()
        }]);
        assert_eq!(
            rollout(&deployment(2, 3, status, false)),
            Rollout::Failed("ReplicaSet \"web-5d8\" has timed out progressing.".into())
        );
    }
}
