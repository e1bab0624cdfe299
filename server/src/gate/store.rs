//! Gate's tasks as stored: one record each, finished when made, kept as long as the runner's
//! tasks (`[tasks] retention`).

use std::sync::Arc;
use std::time::Duration;

use gennaker_core::gate::orchestrations::Orchestration;
use gennaker_core::ids::{OrchestrationId, OrchestrationKind};
use gennaker_core::time::Timestamp;
use tracing::Instrument;

use crate::store::records::{Layout, Opened, Record, Records};
use crate::store::{Backend, StoreError};

const LAYOUT: Layout = Layout {
    bodies: "gate-tasks/",
    groups: "gate-task-index/applications/",
    running: "gate-task-index/running/",
    indexed: "gate-task-index/version-1",
};

const SWEEP_EVERY: Duration = Duration::from_secs(3600);

impl Record for Orchestration {
    type Kind = OrchestrationKind;
    const SCHEMA: u64 = 1;

    fn id(&self) -> OrchestrationId {
        self.id
    }

    fn group(&self) -> String {
        self.application.clone()
    }

    fn is_finished(&self) -> bool {
        true
    }

    fn ended_at(&self) -> Option<Timestamp> {
        Some(Timestamp::from_millis(self.end_time))
    }
}

/// The stored Gate tasks.
pub struct Orchestrations {
    pub(super) records: Records<Orchestration>,
    retention: Duration,
}

impl Orchestrations {
    pub async fn open(
        backend: Arc<Backend>,
        retention: Duration,
    ) -> Result<(Orchestrations, Opened), StoreError> {
        let (records, opened) = Records::open(backend, LAYOUT).await?;
        Ok((Orchestrations { records, retention }, opened))
    }

    /// Removes tasks past the retention age now, then every hour, in the background.
    pub fn keep_tidy(self: &Arc<Self>) {
        let store = self.clone();
        tokio::spawn(
            async move {
                loop {
                    let age = i64::try_from(store.retention.as_millis()).unwrap_or(i64::MAX);
                    let cutoff =
                        Timestamp::from_millis(Timestamp::now().as_millis().saturating_sub(age));
                    match store.records.sweep(cutoff, None).await {
                        Ok(0) => {}
                        Ok(removed) => tracing::info!(
                            removed,
                            "removed {removed} Gate tasks that ended before {cutoff}"
                        ),
                        Err(error) => tracing::warn!("removing old Gate tasks failed: {error}"),
                    }
                    tokio::time::sleep(SWEEP_EVERY).await;
                }
            }
            .instrument(tracing::info_span!("gate_task_retention")),
        );
    }
}

/// Where an application's attributes that Gennaker does not use are kept, apart from the
/// application (so that its pages never carry them): `gate-application-attributes/<name>.json`.
const KEPT: &str = "gate-application-attributes/";

fn kept_key(application: &str) -> String {
    format!("{KEPT}{application}.json")
}

/// The attributes kept for `application`; none when nothing is kept (or it cannot be read:
/// they are given back when they can be, never in the way).
pub async fn kept(
    backend: &Backend,
    application: &str,
) -> serde_json::Map<String, serde_json::Value> {
    match backend.get(&kept_key(application)).await {
        Ok(Some(object)) => serde_json::from_slice(&object.bytes).unwrap_or_default(),
        Ok(None) => serde_json::Map::new(),
        Err(error) => {
            tracing::warn!(app = %application, "cannot read the kept Gate attributes: {error}");
            serde_json::Map::new()
        }
    }
}

/// The applications that have attributes kept, from one listing of the store.
pub async fn with_kept(backend: &Backend) -> std::collections::BTreeSet<String> {
    match backend.list(KEPT).await {
        Ok(keys) => keys
            .iter()
            .filter_map(|key| key.strip_prefix(KEPT)?.strip_suffix(".json"))
            .map(str::to_string)
            .collect(),
        Err(error) => {
            tracing::warn!("cannot list the kept Gate attributes: {error}");
            std::collections::BTreeSet::new()
        }
    }
}

/// Keeps `attributes` for `application` (none: forgets them).
pub async fn keep(
    backend: &Backend,
    application: &str,
    attributes: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), StoreError> {
    let key = kept_key(application);
    if attributes.is_empty() {
        return backend.delete(&key).await;
    }
    let bytes = serde_json::to_vec(attributes).unwrap_or_default();
    backend
        .put(&key, bytes, crate::store::Precondition::None)
        .await
        .map(|_| ())
}
