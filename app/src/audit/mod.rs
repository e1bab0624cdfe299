//! The audit log: every change made through Gennaker, who made it and when. The server
//! records entries (see the server crate's `audit` module); the Audit page reads them here.

pub mod model;

use leptos::prelude::*;

use crate::error::AppError;
pub use model::*;

/// Records `entry`. A change stands when its entry cannot be written (it was made); the
/// failure is logged as an error naming the entry (not its content, which may be a whole
/// configuration) for an operator to act on.
#[cfg(feature = "ssr")]
pub async fn record(log: &dyn crate::services::AuditLog, entry: AuditEntry) {
    let (id, action, target) = (entry.id, entry.action, entry.target.clone());
    if let Err(error) = log.record(entry).await {
        tracing::error!(%id, action = action.as_str(), %target, "the audit log could not record a change: {error}");
    }
}

/// The entries `filter` picks that the signed-in user may see, newest first.
#[server]
pub async fn list_audit(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    crate::services::services()?.audit_entries(&filter).await
}
