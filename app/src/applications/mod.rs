//! Applications: shared types, and the server functions the UI calls. Each server function
//! is a thin door onto the `ApplicationCatalog` service, the same one the JSON API uses.
//! Refusals (bad input, a conflict, a missing application) travel inside `Ok` as [`Handled`].

pub use gennaker_core::applications::model;

use leptos::prelude::*;

use crate::error::{AppError, Handled};
#[cfg(feature = "ssr")]
use crate::services::{acting_user, answer_form, request_parts, services};
use model::{Application, ApplicationInput, ApplicationSort, ApplicationSpec, ApplicationVersion};

#[server]
pub async fn list_applications(
    query: String,
    sort: ApplicationSort,
) -> Result<Vec<Application>, AppError> {
    services()?.applications.list(&query, sort).await
}

#[server]
pub async fn get_application(name: String) -> Result<Handled<Application>, AppError> {
    Ok(services()?.applications.get(&name).await)
}

/// Creates an application from the Create Application form, as typed: the form posts as a
/// plain HTML form before the page is interactive, and the user then lands on the new
/// application's page (see [`answer_form`](crate::services::answer_form)).
#[server]
pub async fn create_application(input: ApplicationInput) -> Result<Handled<Application>, AppError> {
    let who = acting_user(&request_parts());
    let handled = match input.to_spec() {
        Ok(spec) => services()?.applications.create(spec, &who).await,
        Err(refusal) => Err(refusal.into()),
    };
    answer_form::<CreateApplication, _>(handled, |app| format!("/applications/{}", app.spec.name))
}

#[server]
pub async fn update_application(
    name: String,
    version: u64,
    spec: ApplicationSpec,
) -> Result<Handled<Application>, AppError> {
    let who = acting_user(&request_parts());
    Ok(services()?
        .applications
        .update(&name, version, spec, &who)
        .await)
}

#[server]
pub async fn delete_application(
    name: String,
    version: u64,
    confirm: String,
) -> Result<Handled<()>, AppError> {
    let who = acting_user(&request_parts());
    Ok(services()?
        .applications
        .delete(&name, version, &confirm, &who)
        .await)
}

#[server]
pub async fn application_history(
    name: String,
) -> Result<Handled<Vec<ApplicationVersion>>, AppError> {
    Ok(services()?.applications.history(&name).await)
}

#[server]
pub async fn restore_application(
    name: String,
    version: u64,
    expected_version: u64,
) -> Result<Handled<Application>, AppError> {
    let who = acting_user(&request_parts());
    Ok(services()?
        .applications
        .restore(&name, version, expected_version, &who)
        .await)
}
