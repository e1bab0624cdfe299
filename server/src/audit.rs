//! The audit log's store: one record per entry, indexed by application (entries without one,
//! such as sign-ins, under `-gennaker`), read newest first. Entries are never changed; nothing
//! removes them (an operator who wants less history exports and prunes the store by hand).

use std::sync::Arc;

use gennaker_app::audit::{AuditEntry, AuditFilter};
use gennaker_app::error::AppError;
use gennaker_app::services::AuditLog;
use gennaker_core::time::Timestamp;

use crate::store::records::{Layout, Opened, Record, Records};
use crate::store::{Backend, StoreError};

pub const LAYOUT: Layout = Layout {
    bodies: "audit/",
    groups: "audit-index/applications/",
    running: "audit-index/running/",
    indexed: "audit-index/version-1",
};

/// A filter reads at most this many of the newest entries: older ones are found by
/// narrowing it (an application reads only its own entries).
const SCAN_MAX: usize = 20_000;

/// The group of entries that concern no application (application names never start with '-').
const NO_APPLICATION: &str = "-gennaker";

impl Record for AuditEntry {
    type Kind = gennaker_core::ids::AuditKind;
    const SCHEMA: u64 = 1;

    fn id(&self) -> gennaker_core::ids::AuditId {
        self.id
    }

    fn group(&self) -> String {
        self.application
            .clone()
            .unwrap_or_else(|| NO_APPLICATION.to_string())
    }

    fn is_finished(&self) -> bool {
        true
    }

    fn ended_at(&self) -> Option<Timestamp> {
        Some(self.at)
    }
}

pub struct AuditStore {
    records: Records<AuditEntry>,
}

impl AuditStore {
    pub async fn open(backend: Arc<Backend>) -> Result<(AuditStore, Opened), StoreError> {
        let (records, opened) = Records::open(backend, LAYOUT).await?;
        Ok((AuditStore { records }, opened))
    }
}

fn unavailable(error: StoreError) -> AppError {
    AppError::Unavailable(format!("the audit log cannot be read or written: {error}"))
}

#[async_trait::async_trait]
impl AuditLog for AuditStore {
    async fn record(&self, entry: AuditEntry) -> Result<(), AppError> {
        tracing::info!(
            user = %entry.user,
            action = entry.action.as_str(),
            application = entry.application.as_deref().unwrap_or_default(),
            target = %entry.target,
            "audit: {} {}",
            entry.action.label(),
            entry.target
        );
        self.records.insert(entry).await.map_err(unavailable)?;
        Ok(())
    }

    async fn entries(
        &self,
        filter: &AuditFilter,
        visible: &(dyn for<'e> Fn(&'e AuditEntry) -> bool + Send + Sync),
    ) -> Result<Vec<AuditEntry>, AppError> {
        let limit = filter.limit();
        let application = filter.application.trim().to_lowercase();
        let group = Some(application.as_str()).filter(|g| !g.is_empty());
        // Newest first, reading more each round until enough match or none are left.
        let mut scan = limit.max(100);
        loop {
            let read = self.records.list(group, scan).await.map_err(unavailable)?;
            let exhausted = read.len() < scan;
            let mut picked: Vec<AuditEntry> = Vec::new();
            for entry in read {
                if picked.len() == limit {
                    break;
                }
                if filter.matches(&entry) && visible(&entry) {
                    picked.push(entry);
                }
            }
            if picked.len() == limit || exhausted || scan >= SCAN_MAX {
                return Ok(picked);
            }
            scan = (scan * 4).min(SCAN_MAX);
        }
    }
}
