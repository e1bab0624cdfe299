//! The audit log: every change made through Gennaker, who made it and when. The server
//! records entries (see the server crate's `audit` module); the Audit page reads them here.

pub use gennaker_core::audit::model;

use leptos::prelude::*;

use crate::error::AppError;
pub use model::*;

/// The entries `filter` picks that the signed-in user may see, newest first.
#[server]
pub async fn list_audit(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    crate::services::services()?.audit_entries(&filter).await
}
