//! Turns an operation into the steps of a task, after checking everything that can be checked
//! without changing the cluster: the input's own validation, the account and namespace, and
//! that the objects it names exist and belong to the application.

use gennaker_app::error::AppError;
use gennaker_app::infrastructure::names::keys;
use gennaker_app::infrastructure::server_groups::{MAX_REPLICAS, ObjectRef, ServerGroup};
use gennaker_app::tasks::model::{ManifestRef, Operation, Step, StepAction, Target};
use k8s_openapi::api::apps::v1::ReplicaSet;

use crate::kubernetes::moniker::application_of;
use crate::kubernetes::{Kubernetes, manifests, views};
use crate::registries::{DockerRegistries, pull_secret_name};

fn invalid_if_any(
    errors: Vec<gennaker_app::applications::model::FieldError>,
) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn replicas_ok(replicas: i64) -> Result<(), AppError> {
    if (0..=MAX_REPLICAS).contains(&replicas) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "replicas",
            format!("Replicas must be between 0 and {MAX_REPLICAS} (it is {replicas})."),
        ))
    }
}

/// The cached server group `target`, checked to belong to `application`.
fn server_group(
    kubernetes: &Kubernetes,
    application: &str,
    target: &ObjectRef,
) -> Result<ServerGroup, AppError> {
    let connection = kubernetes.connection_for(&target.account, &target.namespace)?;
    let rs: std::sync::Arc<ReplicaSet> = connection
        .cache
        .replica_sets
        .get(&target.namespace, &target.name)
        .ok_or_else(|| AppError::NotFound(format!("There is no server group {target}.")))?;
    if application_of(&rs.metadata).as_deref() != Some(application) {
        return Err(AppError::invalid(
            "serverGroup",
            format!(
                "Server group {} does not belong to application {application:?}.",
                target.name
            ),
        ));
    }
    views::server_group(&target.account, &connection.cache, &rs)
        .ok_or_else(|| AppError::NotFound(format!("There is no server group {target}.")))
}

fn named(target: &ObjectRef) -> Target {
    Target::Named {
        server_group: target.clone(),
    }
}

fn manifest_ref_ok(kubernetes: &Kubernetes, target: &ManifestRef) -> Result<(), AppError> {
    kubernetes.connection_for(&target.account, &target.namespace)?;
    if target.kind.trim().is_empty() || target.name.trim().is_empty() {
        return Err(AppError::invalid(
            "target",
            "Give the kind and the name of the object.",
        ));
    }
    Ok(())
}

/// The steps of `operation`, or why it cannot run.
pub fn plan(
    kubernetes: &Kubernetes,
    registries: &DockerRegistries,
    operation: &Operation,
) -> Result<Vec<Step>, AppError> {
    Ok(match operation {
        Operation::CreateServerGroup { spec } => {
            invalid_if_any(spec.validate())?;
            let connection = kubernetes.connection_for(&spec.account, &spec.namespace)?;
            for name in &spec.load_balancers {
                if connection
                    .cache
                    .services
                    .get(&spec.namespace, name)
                    .is_none()
                {
                    return Err(AppError::invalid(
                        "loadBalancers",
                        format!(
                            "There is no load balancer {name:?} in {}/{}.",
                            spec.account, spec.namespace
                        ),
                    ));
                }
            }
            let cluster = spec.cluster();
            let target = Target::Created {
                account: spec.account.clone(),
                namespace: spec.namespace.clone(),
            };
            let linked = &kubernetes
                .account(&spec.account)?
                .settings
                .docker_registries;
            let registry = registries
                .for_image(&spec.image, linked)
                .map(str::to_string);
            let mut steps = vec![Step::new(
                format!("Choose the next version of cluster {cluster}"),
                StepAction::ChooseServerGroupName {
                    account: spec.account.clone(),
                    namespace: spec.namespace.clone(),
                    cluster,
                },
            )];
            if let Some(registry) = &registry {
                steps.push(Step::new(
                    format!("Store the pull credentials of docker registry {registry}"),
                    StepAction::EnsurePullSecret {
                        account: spec.account.clone(),
                        namespace: spec.namespace.clone(),
                        registry: registry.clone(),
                        name: pull_secret_name(registry),
                    },
                ));
            }
            steps.extend([
                Step::new(
                    "Create the ReplicaSet",
                    StepAction::CreateReplicaSet {
                        spec: spec.clone(),
                        pull_secret: registry.as_deref().map(pull_secret_name),
                    },
                ),
                Step::new(
                    format!("Wait for {0}/{0} Pods to be Ready", spec.replicas),
                    StepAction::WaitForHealthy {
                        target,
                        replicas: Some(spec.replicas),
                    },
                ),
            ]);
            steps
        }
        Operation::ResizeServerGroup {
            application,
            server_group: target,
            replicas,
        } => {
            replicas_ok(*replicas)?;
            server_group(kubernetes, application, target)?;
            vec![
                Step::new(
                    format!("Set replicas of {} to {replicas}", target.name),
                    StepAction::SetReplicas {
                        target: named(target),
                        replicas: *replicas,
                    },
                ),
                Step::new(
                    format!("Wait for {replicas}/{replicas} Pods to be Ready"),
                    StepAction::WaitForHealthy {
                        target: named(target),
                        replicas: Some(*replicas),
                    },
                ),
            ]
        }
        Operation::DisableServerGroup {
            application,
            server_group: target,
        } => {
            let group = server_group(kubernetes, application, target)?;
            require_load_balancers(&group)?;
            traffic_steps(target, false)
        }
        Operation::EnableServerGroup {
            application,
            server_group: target,
        } => {
            let group = server_group(kubernetes, application, target)?;
            require_load_balancers(&group)?;
            traffic_steps(target, true)
        }
        Operation::DestroyServerGroup {
            application,
            server_group: target,
        } => {
            server_group(kubernetes, application, target)?;
            vec![
                Step::new(
                    format!("Delete ReplicaSet {}", target.name),
                    StepAction::DeleteReplicaSet {
                        target: named(target),
                    },
                ),
                Step::new(
                    "Wait until it and its Pods are gone",
                    StepAction::WaitForDeleted {
                        account: target.account.clone(),
                        namespace: target.namespace.clone(),
                        api_version: "apps/v1".into(),
                        kind: "ReplicaSet".into(),
                        name: target.name.clone(),
                    },
                ),
            ]
        }
        Operation::RollbackServerGroup {
            application,
            current,
            restore,
        } => {
            let current_group = server_group(kubernetes, application, current)?;
            let restore_group = server_group(kubernetes, application, restore)?;
            if current == restore {
                return Err(AppError::invalid(
                    "restore",
                    "Choose a different server group to roll back to.",
                ));
            }
            if (
                &current_group.account,
                &current_group.namespace,
                &current_group.cluster,
            ) != (
                &restore_group.account,
                &restore_group.namespace,
                &restore_group.cluster,
            ) {
                return Err(AppError::invalid(
                    "restore",
                    format!(
                        "{} is not in the same cluster as {}.",
                        restore.name, current.name
                    ),
                ));
            }
            require_load_balancers(&current_group)?;
            let replicas = i64::from(restore_group.desired.max(current_group.desired));
            let mut steps = Vec::new();
            if restore_group.desired < current_group.desired {
                steps.push(Step::new(
                    format!("Resize {} to {replicas}", restore.name),
                    StepAction::SetReplicas {
                        target: named(restore),
                        replicas,
                    },
                ));
            }
            steps.extend([
                Step::new(
                    format!("Enable {}", restore.name),
                    StepAction::SetTraffic {
                        target: named(restore),
                        enabled: true,
                    },
                ),
                Step::new(
                    format!("Wait for {} to be healthy", restore.name),
                    StepAction::WaitForHealthy {
                        target: named(restore),
                        replicas: Some(replicas),
                    },
                ),
                Step::new(
                    format!(
                        "Wait for the load balancers to send {} traffic",
                        restore.name
                    ),
                    StepAction::WaitForTraffic {
                        target: named(restore),
                        enabled: true,
                    },
                ),
                Step::new(
                    format!("Disable {}", current.name),
                    StepAction::SetTraffic {
                        target: named(current),
                        enabled: false,
                    },
                ),
                Step::new(
                    format!(
                        "Wait for the load balancers to stop sending {} traffic",
                        current.name
                    ),
                    StepAction::WaitForTraffic {
                        target: named(current),
                        enabled: false,
                    },
                ),
            ]);
            steps
        }
        Operation::UpsertLoadBalancer { spec } => {
            invalid_if_any(spec.validate())?;
            kubernetes.connection_for(&spec.account, &spec.namespace)?;
            vec![Step::new(
                format!("Apply Service {}", spec.name()),
                StepAction::Apply {
                    account: spec.account.clone(),
                    namespace: spec.namespace.clone(),
                    documents: vec![manifests::service(spec)],
                },
            )]
        }
        Operation::DeleteLoadBalancer {
            application,
            load_balancer,
        } => {
            let connection =
                kubernetes.connection_for(&load_balancer.account, &load_balancer.namespace)?;
            let svc = connection
                .cache
                .services
                .get(&load_balancer.namespace, &load_balancer.name)
                .ok_or_else(|| {
                    AppError::NotFound(format!("There is no load balancer {load_balancer}."))
                })?;
            belongs(&svc.metadata, application, &load_balancer.name)?;
            delete_steps(load_balancer, "v1", "Service")
        }
        Operation::UpsertSecurityGroup { spec } => {
            invalid_if_any(spec.validate())?;
            kubernetes.connection_for(&spec.account, &spec.namespace)?;
            vec![Step::new(
                format!("Apply NetworkPolicy {}", spec.name()),
                StepAction::Apply {
                    account: spec.account.clone(),
                    namespace: spec.namespace.clone(),
                    documents: vec![manifests::network_policy(spec)],
                },
            )]
        }
        Operation::DeleteSecurityGroup {
            application,
            security_group,
        } => {
            let connection =
                kubernetes.connection_for(&security_group.account, &security_group.namespace)?;
            let policy = connection
                .cache
                .network_policies
                .get(&security_group.namespace, &security_group.name)
                .ok_or_else(|| {
                    AppError::NotFound(format!("There is no security group {security_group}."))
                })?;
            belongs(&policy.metadata, application, &security_group.name)?;
            delete_steps(security_group, "networking.k8s.io/v1", "NetworkPolicy")
        }
        Operation::ApplyManifest {
            account,
            namespace,
            manifest,
            ..
        } => {
            kubernetes.connection_for(account, namespace)?;
            let documents = manifests::parse_documents(manifest)?;
            for document in &documents {
                if let (_, Some(ns)) = manifests::identity(document) {
                    if let Some(problem) =
                        gennaker_app::infrastructure::names::dns_label_problem("Namespace", &ns)
                    {
                        return Err(AppError::invalid("manifest", problem));
                    }
                    kubernetes.connection_for(account, &ns)?;
                }
            }
            vec![Step::new(
                format!(
                    "Apply {} object(s) (server-side, field manager gennaker)",
                    documents.len()
                ),
                StepAction::Apply {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    documents,
                },
            )]
        }
        Operation::DeleteManifest { target, .. } => {
            manifest_ref_ok(kubernetes, target)?;
            vec![Step::new(
                format!("Delete {} {}", target.kind, target.name),
                StepAction::Delete {
                    target: target.clone(),
                },
            )]
        }
        Operation::ScaleManifest {
            target, replicas, ..
        } => {
            replicas_ok(*replicas)?;
            manifest_ref_ok(kubernetes, target)?;
            vec![Step::new(
                format!("Scale {} {} to {replicas}", target.kind, target.name),
                StepAction::Scale {
                    target: target.clone(),
                    replicas: *replicas,
                },
            )]
        }
        Operation::UndoRollout {
            deployment,
            revision,
            ..
        } => {
            let connection =
                kubernetes.connection_for(&deployment.account, &deployment.namespace)?;
            if *revision < 1 {
                return Err(AppError::invalid(
                    "revision",
                    format!("Revision must be 1 or more (it is {revision})."),
                ));
            }
            if connection
                .cache
                .deployments
                .get(&deployment.namespace, &deployment.name)
                .is_none()
            {
                return Err(AppError::NotFound(format!(
                    "There is no Deployment {deployment}."
                )));
            }
            vec![Step::new(
                format!("Roll {} back to revision {revision}", deployment.name),
                StepAction::UndoRollout {
                    deployment: deployment.clone(),
                    revision: *revision,
                },
            )]
        }
    })
}

fn belongs(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    application: &str,
    name: &str,
) -> Result<(), AppError> {
    if application_of(meta).as_deref() == Some(application) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "application",
            format!(
                "{name} does not belong to application {application:?} (it has no {} label or moniker for it).",
                keys::APP_NAME
            ),
        ))
    }
}

fn require_load_balancers(group: &ServerGroup) -> Result<(), AppError> {
    if group.load_balancers.is_empty() {
        Err(AppError::invalid(
            "serverGroup",
            format!(
                "{} is attached to no load balancer, so there is no traffic to turn on or off.",
                group.name
            ),
        ))
    } else {
        Ok(())
    }
}

fn traffic_steps(target: &ObjectRef, enabled: bool) -> Vec<Step> {
    let (verb, wait) = if enabled {
        ("Enable", "Wait for the load balancers to send it traffic")
    } else {
        (
            "Disable",
            "Wait for the load balancers to stop sending it traffic",
        )
    };
    vec![
        Step::new(
            format!("{verb} {}", target.name),
            StepAction::SetTraffic {
                target: named(target),
                enabled,
            },
        ),
        Step::new(
            wait,
            StepAction::WaitForTraffic {
                target: named(target),
                enabled,
            },
        ),
    ]
}

fn delete_steps(target: &ObjectRef, api_version: &str, kind: &str) -> Vec<Step> {
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
        Step::new(
            "Wait until it is gone",
            StepAction::WaitForDeleted {
                account: target.account.clone(),
                namespace: target.namespace.clone(),
                api_version: api_version.into(),
                kind: kind.into(),
                name: target.name.clone(),
            },
        ),
    ]
}
