//! Turns an operation into the steps of a task, after checking everything that can be checked
//! without changing the cluster: the input's own validation, the account and namespace, and
//! that the objects it names exist and belong to the application.

use gennaker_app::error::AppError;
use gennaker_core::infrastructure::names::keys;
use gennaker_core::infrastructure::server_groups::{ObjectRef, ServerGroup, replicas_problem};
use gennaker_core::tasks::model::{ManifestRef, Operation, Step, StepAction};
use k8s_openapi::api::apps::v1::ReplicaSet;

use super::builders::{self, named};
use crate::kubernetes::moniker::application_of;
use crate::kubernetes::{Kubernetes, manifests, views};
use crate::registries::DockerRegistries;

fn replicas_ok(replicas: i64) -> Result<(), AppError> {
    match replicas_problem(replicas) {
        Some(problem) => Err(AppError::invalid("replicas", problem)),
        None => Ok(()),
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
            AppError::from_fields(spec.validate())?;
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
            let linked = &kubernetes
                .account(&spec.account)?
                .settings
                .docker_registries;
            builders::create_server_group(spec, registries.for_image(&spec.image, linked))
        }
        Operation::ResizeServerGroup {
            application,
            server_group: target,
            replicas,
        } => {
            replicas_ok(*replicas)?;
            server_group(kubernetes, application, target)?;
            builders::resize(&named(target), *replicas)
        }
        Operation::DisableServerGroup {
            application,
            server_group: target,
        } => {
            let group = server_group(kubernetes, application, target)?;
            require_load_balancers(&group)?;
            builders::disable(&named(target))
        }
        Operation::EnableServerGroup {
            application,
            server_group: target,
        } => {
            let group = server_group(kubernetes, application, target)?;
            require_load_balancers(&group)?;
            builders::enable(&named(target))
        }
        Operation::DestroyServerGroup {
            application,
            server_group: target,
        } => {
            server_group(kubernetes, application, target)?;
            builders::destroy(target)
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
            let (restore, current) = (named(restore), named(current));
            let mut steps = Vec::new();
            if restore_group.desired < current_group.desired {
                steps.push(builders::set_replicas(&restore, replicas));
            }
            steps.extend([
                builders::set_traffic(&restore, true),
                builders::wait_for_healthy(&restore, Some(replicas)),
                builders::wait_for_traffic(&restore, true),
            ]);
            steps.extend(builders::disable(&current));
            steps
        }
        Operation::UpsertLoadBalancer { spec } => {
            AppError::from_fields(spec.validate())?;
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
            builders::delete_object(load_balancer, "v1", "Service")
        }
        Operation::UpsertSecurityGroup { spec } => {
            AppError::from_fields(spec.validate())?;
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
            builders::delete_object(security_group, "networking.k8s.io/v1", "NetworkPolicy")
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
                        gennaker_core::infrastructure::names::dns_label_problem("Namespace", &ns)
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
