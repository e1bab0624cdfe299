//! The steps of the things both a user's operation and a pipeline stage do to server groups:
//! create one, resize, enable, disable, destroy, and wait for health and for traffic. An
//! operation's plan and a stage's plan call these, so a Deploy stage creates a server group
//! with exactly the steps of "Create Server Group".

use gennaker_core::infrastructure::server_groups::{ObjectRef, ServerGroupSpec};
use gennaker_core::tasks::model::{ManifestRef, Step, StepAction, Target};

use crate::registries::pull_secret_name;

/// A server group named now, for steps that act on an existing one.
pub fn named(server_group: &ObjectRef) -> Target {
    Target::Named {
        server_group: server_group.clone(),
    }
}

/// How a step's label names its target: "web-v003", or "the new server group" before the
/// task has chosen a name.
fn called(target: &Target) -> String {
    match target {
        Target::Named { server_group } => server_group.name.clone(),
        Target::Created { .. } => "the new server group".to_string(),
        Target::Picked { .. } => "the server group".to_string(),
    }
}

/// Creates a server group from `spec` under the next free version of its cluster and waits
/// until all its Pods are Ready. With `registry`, the namespace first gets that docker-registry
/// account's pull Secret and the Pods use it.
pub fn create_server_group(spec: &ServerGroupSpec, registry: Option<&str>) -> Vec<Step> {
    let cluster = spec.cluster();
    let created = Target::Created {
        account: spec.account.clone(),
        namespace: spec.namespace.clone(),
    };
    let mut steps = vec![Step::new(
        format!("Choose the next version of cluster {cluster}"),
        StepAction::ChooseServerGroupName {
            account: spec.account.clone(),
            namespace: spec.namespace.clone(),
            cluster,
        },
    )];
    if let Some(registry) = registry {
        steps.push(Step::new(
            format!("Store the pull credentials of docker registry {registry}"),
            StepAction::EnsurePullSecret {
                account: spec.account.clone(),
                namespace: spec.namespace.clone(),
                registry: registry.to_string(),
                name: pull_secret_name(registry),
            },
        ));
    }
    steps.push(Step::new(
        "Create the ReplicaSet",
        StepAction::CreateReplicaSet {
            spec: Box::new(spec.clone()),
            pull_secret: registry.map(pull_secret_name),
        },
    ));
    steps.push(wait_for_healthy(&created, Some(spec.replicas)));
    steps
}

/// Waits until the server group has `replicas` (or, with `None`, its desired count of) Ready Pods.
pub fn wait_for_healthy(target: &Target, replicas: Option<i64>) -> Step {
    let label = match replicas {
        Some(n) => format!("Wait for {n}/{n} Pods to be Ready"),
        None => format!("Wait for {} to be healthy", called(target)),
    };
    Step::new(
        label,
        StepAction::WaitForHealthy {
            target: target.clone(),
            replicas,
        },
    )
}

/// Asks for `replicas` without waiting for them.
pub fn set_replicas(target: &Target, replicas: i64) -> Step {
    Step::new(
        format!("Set replicas of {} to {replicas}", called(target)),
        StepAction::SetReplicas {
            target: target.clone(),
            replicas,
        },
    )
}

/// Asks for `replicas` and waits until that many Pods are Ready.
pub fn resize(target: &Target, replicas: i64) -> Vec<Step> {
    vec![
        set_replicas(target, replicas),
        wait_for_healthy(target, Some(replicas)),
    ]
}

/// Puts the server group's Pods into its load balancers (`enabled`) or takes them out.
pub fn set_traffic(target: &Target, enabled: bool) -> Step {
    let verb = if enabled { "Enable" } else { "Disable" };
    Step::new(
        format!("{verb} {}", called(target)),
        StepAction::SetTraffic {
            target: target.clone(),
            enabled,
        },
    )
}

/// Waits until the load balancers route to every Ready Pod of the server group (`enabled`),
/// or to none.
pub fn wait_for_traffic(target: &Target, enabled: bool) -> Step {
    let label = if enabled {
        format!(
            "Wait for the load balancers to send {} traffic",
            called(target)
        )
    } else {
        format!(
            "Wait for the load balancers to stop sending {} traffic",
            called(target)
        )
    };
    Step::new(
        label,
        StepAction::WaitForTraffic {
            target: target.clone(),
            enabled,
        },
    )
}

/// Enable: traffic on, then wait until it flows.
pub fn enable(target: &Target) -> Vec<Step> {
    vec![set_traffic(target, true), wait_for_traffic(target, true)]
}

/// Disable: traffic off, then wait until it stops. The Pods keep running.
pub fn disable(target: &Target) -> Vec<Step> {
    vec![set_traffic(target, false), wait_for_traffic(target, false)]
}

/// Deletes the server group's ReplicaSet and waits until it and its Pods are gone.
pub fn destroy(server_group: &ObjectRef) -> Vec<Step> {
    vec![
        Step::new(
            format!("Delete ReplicaSet {}", server_group.name),
            StepAction::DeleteReplicaSet {
                target: named(server_group),
            },
        ),
        wait_for_deleted(server_group, "apps/v1", "ReplicaSet"),
    ]
}

/// Deletes any object and waits until it is gone.
pub fn delete_object(target: &ObjectRef, api_version: &str, kind: &str) -> Vec<Step> {
    vec![
        Step::new(
            format!("Delete {kind} {}", target.name),
            StepAction::Delete {
                target: ManifestRef {
                    account: target.account.clone(),
                    namespace: target.namespace.clone(),
                    kind: kind.to_string(),
                    name: target.name.clone(),
                },
            },
        ),
        wait_for_deleted(target, api_version, kind),
    ]
}

fn wait_for_deleted(target: &ObjectRef, api_version: &str, kind: &str) -> Step {
    Step::new(
        format!("Wait until {} is gone", target.name),
        StepAction::WaitForDeleted {
            account: target.account.clone(),
            namespace: target.namespace.clone(),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            name: target.name.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web_v001() -> ObjectRef {
        ObjectRef {
            account: "local".into(),
            namespace: "default".into(),
            name: "web-v001".into(),
        }
    }

    fn labels(steps: &[Step]) -> Vec<&str> {
        steps.iter().map(|s| s.label.as_str()).collect()
    }

    #[test]
    fn a_server_group_is_created_then_waited_for() {
        let spec = ServerGroupSpec {
            application: "web".into(),
            account: "local".into(),
            namespace: "default".into(),
            stack: "prod".into(),
            image: "registry.example.com/web:1".into(),
            replicas: 2,
            ..ServerGroupSpec::default()
        };
        assert_eq!(
            labels(&create_server_group(&spec, None)),
            [
                "Choose the next version of cluster web-prod",
                "Create the ReplicaSet",
                "Wait for 2/2 Pods to be Ready"
            ]
        );
        let with_secret = create_server_group(&spec, Some("company"));
        assert_eq!(
            with_secret[1].label,
            "Store the pull credentials of docker registry company"
        );
        assert!(matches!(
            &with_secret[2].action,
            StepAction::CreateReplicaSet { pull_secret: Some(name), .. } if name == "gennaker-registry-company"
        ));
    }

    #[test]
    fn actions_on_an_existing_server_group_name_it() {
        let target = named(&web_v001());
        assert_eq!(
            labels(&resize(&target, 3)),
            [
                "Set replicas of web-v001 to 3",
                "Wait for 3/3 Pods to be Ready"
            ]
        );
        assert_eq!(
            labels(&disable(&target)),
            [
                "Disable web-v001",
                "Wait for the load balancers to stop sending web-v001 traffic"
            ]
        );
        assert_eq!(
            labels(&destroy(&web_v001())),
            ["Delete ReplicaSet web-v001", "Wait until web-v001 is gone"]
        );
    }
}
