//! Change notifications inside the server: the Kubernetes cache and the task engine publish,
//! and every open browser page listens through `/api/v1/events` (server-sent events).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gennaker_app::live::Topic;
use gennaker_app::services::ChangeFeed;
use tokio::sync::broadcast;

/// Something that changed. Listeners re-read what they show; the change carries no data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An object in a cluster changed; `application` is `None` when it belongs to none we know.
    Cluster {
        account: String,
        application: Option<String>,
    },
    /// A task was created or progressed.
    Task {
        application: String,
        id: gennaker_core::ids::TaskId,
    },
    /// An account's health changed.
    Accounts,
    /// A pipeline execution was created or moved on.
    Execution {
        application: String,
        id: gennaker_core::ids::ExecutionId,
    },
    /// A pipeline of `application` was created, saved, restored or deleted.
    PipelineConfig { application: String },
}

impl Change {
    /// The topic of the event sent to browsers.
    pub fn topic(&self) -> Topic {
        match self {
            Change::Cluster { .. } => Topic::Cluster,
            Change::Task { .. } => Topic::Task,
            Change::Accounts => Topic::Accounts,
            Change::Execution { .. } | Change::PipelineConfig { .. } => Topic::Pipeline,
        }
    }

    /// Whether a page about `application` (or about everything, `None`) cares.
    pub fn concerns(&self, application: Option<&str>) -> bool {
        match (self, application) {
            (_, None) | (Change::Accounts, _) => true,
            (
                Change::Cluster {
                    application: changed,
                    ..
                },
                Some(wanted),
            ) => changed.as_deref().is_none_or(|changed| changed == wanted),
            (
                Change::Task {
                    application: changed,
                    ..
                }
                | Change::Execution {
                    application: changed,
                    ..
                }
                | Change::PipelineConfig {
                    application: changed,
                },
                Some(wanted),
            ) => changed == wanted,
        }
    }
}

/// A broadcast channel of [`Change`]s. Slow listeners miss changes and are told so
/// (`Lagged`), after which they re-read everything.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Change>,
    /// How many changes were published, so a page rendered before it listened can tell whether
    /// it missed any (see [`ChangeFeed`]).
    published: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(4096).0,
            published: Arc::default(),
        }
    }
}

impl EventBus {
    pub fn publish(&self, change: Change) {
        self.published.fetch_add(1, Ordering::SeqCst);
        // No listener is not an error.
        let _ = self.sender.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

impl ChangeFeed for EventBus {
    fn published(&self) -> u64 {
        self.published.load(Ordering::SeqCst)
    }
}
