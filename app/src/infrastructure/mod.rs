//! What Gennaker shows of the clusters it deploys to: server groups, load balancers,
//! security groups and Jobs, the types shared by the UI, the server functions and the JSON API,
//! and their validation. The server functions here also list the accounts behind them:
//! Kubernetes accounts and docker-registry accounts with their repositories and tags.

pub use gennaker_core::infrastructure::{image, jobs, load_balancers, names, server_groups};

use leptos::prelude::*;

use crate::error::{AppError, Handled};
#[cfg(feature = "ssr")]
use crate::services::services;
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::registries::{DockerRegistrySummary, RepositoryList};
use jobs::JobView;
use load_balancers::{LoadBalancer, SecurityGroup};
use server_groups::ClusterView;

/// The application's clusters, server groups and instances in every account.
#[server]
pub async fn application_clusters(application: String) -> Result<Vec<ClusterView>, AppError> {
    services()?.infrastructure.clusters(&application).await
}

/// The application's Jobs, newest first.
#[server]
pub async fn application_jobs(application: String) -> Result<Vec<JobView>, AppError> {
    services()?.infrastructure.jobs(&application).await
}

/// The application's load balancers (Services).
#[server]
pub async fn application_load_balancers(
    application: String,
) -> Result<Vec<LoadBalancer>, AppError> {
    services()?
        .infrastructure
        .load_balancers(&application)
        .await
}

/// The application's security groups (NetworkPolicies).
#[server]
pub async fn application_security_groups(
    application: String,
) -> Result<Vec<SecurityGroup>, AppError> {
    services()?
        .infrastructure
        .security_groups(&application)
        .await
}

/// The configured Kubernetes accounts, with their health.
#[server]
pub async fn list_kubernetes_accounts() -> Result<Vec<KubernetesAccountSummary>, AppError> {
    Ok(services()?.accounts.kubernetes_accounts())
}

/// The configured docker-registry accounts, with their health.
#[server]
pub async fn list_docker_registries() -> Result<Vec<DockerRegistrySummary>, AppError> {
    Ok(services()?.registries.registries())
}

/// The configured Jenkins masters' names.
#[server]
pub async fn list_jenkins_masters() -> Result<Vec<String>, AppError> {
    Ok(services()?.jenkins.masters())
}

/// A Jenkins master's jobs.
#[server]
pub async fn jenkins_jobs(master: String) -> Result<Vec<String>, AppError> {
    services()?.jenkins.jobs(&master).await
}

/// A registry's repositories, from its catalog and the configured list.
#[server]
pub async fn registry_repositories(registry: String) -> Result<Handled<RepositoryList>, AppError> {
    Ok(services()?.registries.repositories(&registry).await)
}

/// A repository's tags, newest-looking first.
#[server]
pub async fn registry_tags(
    registry: String,
    repository: String,
) -> Result<Handled<Vec<String>>, AppError> {
    Ok(services()?.registries.tags(&registry, &repository).await)
}
