//! What Gennaker shows of the clusters it deploys to: server groups, load balancers,
//! security groups and Jobs, the types shared by the UI, the server functions and the JSON API, and
//! their validation.

pub mod image;
pub mod jobs;
pub mod load_balancers;
pub mod names;
pub mod server_groups;

use leptos::prelude::*;

use crate::error::AppError;
use jobs::JobView;
use load_balancers::{LoadBalancer, SecurityGroup};
use server_groups::ClusterView;

/// The application's clusters, server groups and instances in every account.
#[server]
pub async fn application_clusters(application: String) -> Result<Vec<ClusterView>, AppError> {
    Ok(crate::services::services()?
        .infrastructure
        .clusters(&application))
}

/// The application's Jobs, newest first.
#[server]
pub async fn application_jobs(application: String) -> Result<Vec<JobView>, AppError> {
    Ok(crate::services::services()?
        .infrastructure
        .jobs(&application))
}

/// The application's load balancers (Services).
#[server]
pub async fn application_load_balancers(
    application: String,
) -> Result<Vec<LoadBalancer>, AppError> {
    Ok(crate::services::services()?
        .infrastructure
        .load_balancers(&application))
}

/// The application's security groups (NetworkPolicies).
#[server]
pub async fn application_security_groups(
    application: String,
) -> Result<Vec<SecurityGroup>, AppError> {
    Ok(crate::services::services()?
        .infrastructure
        .security_groups(&application))
}
