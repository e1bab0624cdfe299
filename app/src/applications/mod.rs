//! Applications: shared types, and the server functions the UI calls. Each server function
//! is a thin door onto the `ApplicationCatalog` service, the same one the JSON API uses.

pub mod model;

use leptos::prelude::*;

use crate::error::AppError;
use model::{Application, ApplicationSort, ApplicationSpec, ApplicationVersion};

#[cfg(feature = "ssr")]
fn catalog() -> Result<std::sync::Arc<dyn crate::services::ApplicationCatalog>, AppError> {
    use_context::<crate::services::Services>()
        .map(|services| services.applications)
        .ok_or_else(|| AppError::Unavailable("the server has not finished starting".into()))
}

/// Who is acting; everyone is anonymous until authentication exists.
#[cfg(feature = "ssr")]
const ACTOR: &str = "anonymous";

#[server]
pub async fn list_applications(
    query: String,
    sort: ApplicationSort,
) -> Result<Vec<Application>, AppError> {
    catalog()?.list(&query, sort).await
}

#[server]
pub async fn get_application(name: String) -> Result<Application, AppError> {
    catalog()?.get(&name).await
}

#[server]
pub async fn create_application(spec: ApplicationSpec) -> Result<Application, AppError> {
    catalog()?.create(spec, ACTOR).await
}

#[server]
pub async fn update_application(
    name: String,
    version: u64,
    spec: ApplicationSpec,
) -> Result<Application, AppError> {
    catalog()?.update(&name, version, spec, ACTOR).await
}

#[server]
pub async fn delete_application(
    name: String,
    version: u64,
    confirm: String,
) -> Result<(), AppError> {
    catalog()?.delete(&name, version, &confirm, ACTOR).await
}

#[server]
pub async fn application_history(name: String) -> Result<Vec<ApplicationVersion>, AppError> {
    catalog()?.history(&name).await
}

#[server]
pub async fn restore_application(
    name: String,
    version: u64,
    expected_version: u64,
) -> Result<Application, AppError> {
    catalog()?
        .restore(&name, version, expected_version, ACTOR)
        .await
}
