//! Applications: shared types, and the server functions the UI calls. Each server function
//! is a thin door onto the `ApplicationCatalog` service, the same one the JSON API uses.
//!
//! A server function that can refuse a request returns `Result<Handled<T>, AppError>`: the
//! inner error is a refusal the user can act on (bad input, a conflict, a missing
//! application), answered with 200 so the browser does not log it as a failed request; the
//! outer error means the call itself failed. [`settle`] joins the two for the UI.

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

/// The service's answer to a request it handled.
pub type Handled<T> = Result<T, AppError>;

/// Joins a call's failure and the service's refusal into one result.
pub fn settle<T>(result: Result<Handled<T>, AppError>) -> Result<T, AppError> {
    result.and_then(|handled| handled)
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
pub async fn get_application(name: String) -> Result<Handled<Application>, AppError> {
    Ok(catalog()?.get(&name).await)
}

#[server]
pub async fn create_application(spec: ApplicationSpec) -> Result<Handled<Application>, AppError> {
    Ok(catalog()?.create(spec, ACTOR).await)
}

#[server]
pub async fn update_application(
    name: String,
    version: u64,
    spec: ApplicationSpec,
) -> Result<Handled<Application>, AppError> {
    Ok(catalog()?.update(&name, version, spec, ACTOR).await)
}

#[server]
pub async fn delete_application(
    name: String,
    version: u64,
    confirm: String,
) -> Result<Handled<()>, AppError> {
    Ok(catalog()?.delete(&name, version, &confirm, ACTOR).await)
}

#[server]
pub async fn application_history(
    name: String,
) -> Result<Handled<Vec<ApplicationVersion>>, AppError> {
    Ok(catalog()?.history(&name).await)
}

#[server]
pub async fn restore_application(
    name: String,
    version: u64,
    expected_version: u64,
) -> Result<Handled<Application>, AppError> {
    Ok(catalog()?
        .restore(&name, version, expected_version, ACTOR)
        .await)
}
