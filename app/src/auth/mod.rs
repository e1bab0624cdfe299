//! Who is using Gennaker: the signed-in principal the server attaches to every request, and
//! what the UI shows of it. The server decides (see the server crate's `auth` module); this
//! module only carries the answer, through the server functions below.

#[cfg(feature = "ssr")]
pub mod guarded;

pub use gennaker_core::auth::{model, permissions};

use leptos::prelude::*;

use crate::error::AppError;
pub use model::*;

/// Who the current request acts as.
#[server]
pub async fn current_viewer() -> Result<Viewer, AppError> {
    let parts = crate::services::request_parts();
    Ok(match parts.extensions.get::<Principal>() {
        None => Viewer::SignedOut {
            single_sign_on: use_context::<crate::services::Services>()
                .and_then(|services| services.single_sign_on),
        },
        Some(principal) if principal.with == SignedInWith::Open => Viewer::Open {
            address: parts
                .headers
                .get(http::header::HOST)
                .and_then(|host| host.to_str().ok())
                .unwrap_or("this address")
                .to_string(),
        },
        Some(principal) => Viewer::SignedIn(principal.clone()),
    })
}

/// The signed-in user's API tokens, newest first.
#[server]
pub async fn list_tokens() -> Result<Vec<ApiToken>, AppError> {
    let parts = crate::services::request_parts();
    let who = crate::services::principal(&parts);
    crate::services::services()?.tokens.list(&who).await
}

/// Makes an API token acting as the signed-in user, valid for `days`.
#[server]
pub async fn create_token(
    name: String,
    days: u32,
) -> Result<crate::error::Handled<NewToken>, AppError> {
    let parts = crate::services::request_parts();
    let who = crate::services::principal(&parts);
    Ok(crate::services::services()?
        .tokens
        .create(&who, &name, days)
        .await)
}

/// Revokes one of the signed-in user's API tokens; scripts using it are refused from now on.
#[server]
pub async fn revoke_token(id: String) -> Result<crate::error::Handled<()>, AppError> {
    let parts = crate::services::request_parts();
    let who = crate::services::principal(&parts);
    Ok(crate::services::services()?.tokens.revoke(&who, &id).await)
}

/// What the signed-in user may do with `application`: for each of READ, WRITE and EXECUTE,
/// nothing when they may, else why not.
#[server]
pub async fn application_access(application: String) -> Result<permissions::Access, AppError> {
    crate::services::services()?.access(&application).await
}
