//! `/api/v1/accounts` and an application's clusters, load balancers, security groups and Jobs, as
//! the cache sees them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};

use axum::Json;
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::infrastructure::jobs::JobView;
use gennaker_core::infrastructure::load_balancers::{LoadBalancer, SecurityGroup};
use gennaker_core::infrastructure::server_groups::ClusterView;

use gennaker_core::registries::{DockerRegistrySummary, RepositoryList};
use serde::Deserialize;

use super::Routes;
use super::Serve;
use super::{ApiError, path, query};

pub fn routes() -> Routes {
    Routes::default()
        .get("/accounts", accounts)
        .get("/docker-registries", registries)
        .get("/docker-registries/{name}/repositories", repositories)
        .get("/docker-registries/{name}/tags", tags)
        .get("/jenkins-masters", jenkins_masters)
        .get("/jenkins-masters/{name}/jobs", jenkins_jobs)
        .get("/applications/{name}/clusters", clusters)
        .get("/applications/{name}/load-balancers", load_balancers)
        .get("/applications/{name}/security-groups", security_groups)
        .get("/applications/{name}/jobs", jobs)
}

async fn accounts(Serve(services): Serve) -> Json<Vec<KubernetesAccountSummary>> {
    Json(services.accounts.kubernetes_accounts())
}

async fn registries(Serve(services): Serve) -> Json<Vec<DockerRegistrySummary>> {
    Json(services.registries.registries())
}

async fn jenkins_masters(Serve(services): Serve) -> Json<Vec<String>> {
    Json(services.jenkins.masters())
}

async fn jenkins_jobs(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(services.jenkins.jobs(&path(name)?).await?))
}

async fn repositories(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<RepositoryList>, ApiError> {
    Ok(Json(services.registries.repositories(&path(name)?).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagParams {
    repository: String,
}

async fn tags(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
    params: Result<Query<TagParams>, QueryRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    let name = path(name)?;
    let params = query(params)?;
    Ok(Json(
        services.registries.tags(&name, &params.repository).await?,
    ))
}

/// The application must exist, so a typo gets a 404 rather than an empty list.
async fn known(
    services: &gennaker_app::services::Services,
    name: Result<Path<String>, PathRejection>,
) -> Result<String, ApiError> {
    let name = path(name)?;
    services.applications.get(&name).await?;
    Ok(name)
}

async fn clusters(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<ClusterView>>, ApiError> {
    let name = known(&services, name).await?;
    Ok(Json(services.infrastructure.clusters(&name).await?))
}

async fn load_balancers(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<LoadBalancer>>, ApiError> {
    let name = known(&services, name).await?;
    Ok(Json(services.infrastructure.load_balancers(&name).await?))
}

async fn security_groups(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<SecurityGroup>>, ApiError> {
    let name = known(&services, name).await?;
    Ok(Json(services.infrastructure.security_groups(&name).await?))
}

async fn jobs(
    Serve(services): Serve,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let name = known(&services, name).await?;
    Ok(Json(services.infrastructure.jobs(&name).await?))
}
