//! Notifications (Spinnaker's Echo): when an execution moves, the events its pipeline and
//! stages asked to be told of — starting, complete, failed; a Manual Judgment awaiting,
//! continued, stopped — are sent by e-mail, to a Slack-compatible incoming webhook, or as JSON
//! to a webhook, each with a link to the execution (and to the judgment page).
//!
//! Every delivery is recorded per execution (`notifications/<execution id>.json`) before it is
//! sent, keyed by event, stage and notification, so an event is sent once however often the
//! execution is looked at, and a delivery cut short by a restart is sent again. A failed attempt
//! is tried again with a growing pause, five times in all; each attempt's outcome is recorded,
//! and a channel that keeps failing shows on the Infrastructure page.

pub mod messages;
pub mod send;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gennaker_app::error::AppError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus};
use gennaker_core::pipelines::notifications::{
    self as model, ChannelHealth, Delivery, DeliveryStatus, Notification,
};
use gennaker_core::tasks::policy::RetryPolicy;
use gennaker_core::time::Timestamp;
use tracing::Instrument;

use crate::config::{NotificationsConfig, Secrets};
use crate::events::{Change, EventBus};
use crate::pipelines::engine::PipelineEngine;
use crate::store::{Backend, KeyLocks, Precondition};

/// Attempts per delivery, and the pauses between: 1 s, doubling.
pub const RETRY: RetryPolicy = RetryPolicy {
    attempts: 5,
    first: Duration::from_secs(1),
    max: Duration::from_secs(60),
};

pub struct Notifier {
    engine: Arc<PipelineEngine>,
    store: Arc<Backend>,
    sender: send::Sender,
    /// The address links start with.
    public_url: String,
    locks: KeyLocks,
    health: Mutex<BTreeMap<(String, String), ChannelHealth>>,
    /// A channel that starts or stops failing is announced (the Infrastructure page).
    events: EventBus,
}

/// An event due for an execution, with the notification it goes to.
#[derive(Debug, Clone)]
pub struct Due {
    pub key: String,
    pub event: String,
    /// The stage's id, for a stage's event.
    pub stage: Option<String>,
    pub notification: Notification,
}

fn key(id: ExecutionId) -> String {
    format!("notifications/{id}.json")
}

/// The events that have happened to `execution`, with the notifications that want them.
pub fn due(execution: &Execution) -> Vec<Due> {
    let mut found = Vec::new();
    let config = &execution.pipeline_config;
    let pipeline = model::pipeline(config, &mut Vec::new());
    let mut events: Vec<&str> = Vec::new();
    if execution.status != ExecutionStatus::NotStarted && execution.start_time.is_some() {
        events.push("pipeline.starting");
    }
    match execution.status {
        ExecutionStatus::Succeeded => events.push("pipeline.complete"),
        ExecutionStatus::Terminal => events.push("pipeline.failed"),
        _ => {}
    }
    for event in events {
        for (i, n) in pipeline.iter().enumerate() {
            if n.when.iter().any(|w| w == event) {
                found.push(Due {
                    key: format!("{event}|-|0|{i}"),
                    event: event.to_string(),
                    stage: None,
                    notification: n.clone(),
                });
            }
        }
    }
    for stage in &execution.stages {
        let Some(config) = config.stages.iter().find(|s| s.ref_id == stage.ref_id) else {
            continue;
        };
        let list = model::stage(config, "", &mut Vec::new());
        if list.is_empty() {
            continue;
        }
        let mut events: Vec<&str> = Vec::new();
        if !matches!(
            stage.status,
            ExecutionStatus::NotStarted | ExecutionStatus::Skipped
        ) {
            events.push("stage.starting");
        }
        match stage.status {
            ExecutionStatus::Succeeded => events.push("stage.complete"),
            ExecutionStatus::Terminal
            | ExecutionStatus::FailedContinue
            | ExecutionStatus::Stopped => events.push("stage.failed"),
            _ => {}
        }
        if stage.kind == "manualJudgment" {
            match stage.context.get("judgmentStatus").and_then(|s| s.as_str()) {
                _ if stage.status == ExecutionStatus::NotStarted => {}
                None if stage.status == ExecutionStatus::Running => events.push("manualJudgment"),
                Some("continue") => events.extend(["manualJudgment", "manualJudgmentContinue"]),
                Some("stop") => events.extend(["manualJudgment", "manualJudgmentStop"]),
                _ => {}
            }
        }
        for event in events {
            for (i, n) in list.iter().enumerate() {
                if n.when.iter().any(|w| w == event) {
                    found.push(Due {
                        key: format!("{event}|{}|{}|{i}", stage.ref_id, stage.attempt),
                        event: event.to_string(),
                        stage: Some(stage.id.clone()),
                        notification: n.clone(),
                    });
                }
            }
        }
    }
    found
}

/// A delivery's due event again, from its key (after a restart).
fn due_of(execution: &Execution, key: &str) -> Option<Due> {
    due(execution).into_iter().find(|d| d.key == key)
}

impl Notifier {
    pub fn new(
        engine: Arc<PipelineEngine>,
        store: Arc<Backend>,
        secrets: Secrets,
        settings: &NotificationsConfig,
        listen: std::net::SocketAddr,
        events: EventBus,
    ) -> Arc<Notifier> {
        Arc::new(Notifier {
            engine,
            store,
            sender: send::Sender::new(secrets, settings.smtp.clone()),
            public_url: settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{listen}")),
            locks: KeyLocks::default(),
            health: Mutex::new(BTreeMap::new()),
            events,
        })
    }

    /// Sends what a restart left unsent, and from now on what each execution the engine saves
    /// newly calls for.
    pub fn run(self: &Arc<Self>) {
        let notifier = self.clone();
        tokio::spawn(
            async move { notifier.resume().await }.instrument(tracing::info_span!("notifications")),
        );
        let weak = Arc::downgrade(self);
        self.engine.on_save(Box::new(move |execution: &Execution| {
            let due = due(execution);
            if due.is_empty() {
                return;
            }
            let Some(notifier) = weak.upgrade() else {
                return;
            };
            let execution = execution.clone();
            let span = tracing::info_span!("notifications", execution.id = %execution.id);
            tokio::spawn(async move { notifier.look(execution, due).await }.instrument(span));
        }));
    }

    /// The channels' health, for the Infrastructure page.
    pub fn channels(&self) -> Vec<ChannelHealth> {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The deliveries of execution `id`, oldest first.
    pub async fn deliveries(&self, id: ExecutionId) -> Result<Vec<Delivery>, AppError> {
        self.load(id).await
    }

    async fn load(&self, id: ExecutionId) -> Result<Vec<Delivery>, AppError> {
        let Some(object) = self
            .store
            .get(&key(id))
            .await
            .map_err(crate::pipelines::configs::from_store)?
        else {
            return Ok(Vec::new());
        };
        serde_json::from_slice(&object.bytes).map_err(|e| {
            AppError::Unavailable(format!("the notifications of {id} cannot be read: {e}"))
        })
    }

    async fn save(&self, id: ExecutionId, deliveries: &[Delivery]) -> Result<(), AppError> {
        let bytes = serde_json::to_vec(deliveries).map_err(|e| {
            AppError::Unavailable(format!("the notifications cannot be written: {e}"))
        })?;
        self.store
            .put(&key(id), bytes, Precondition::None)
            .await
            .map_err(crate::pipelines::configs::from_store)?;
        Ok(())
    }

    /// Records and sends what of `due`, the events that have happened to `execution`, is new.
    async fn look(self: &Arc<Self>, execution: Execution, due: Vec<Due>) {
        let id = execution.id;
        let new = {
            let _guard = self.locks.lock(&id).await;
            let mut deliveries = match self.load(id).await {
                Ok(d) => d,
                Err(error) => {
                    tracing::warn!("notifications cannot be recorded: {error}");
                    return;
                }
            };
            let new: Vec<Due> = due
                .into_iter()
                .filter(|d| !deliveries.iter().any(|r| r.key == d.key))
                .collect();
            if new.is_empty() {
                return;
            }
            for d in &new {
                deliveries.push(Delivery {
                    key: d.key.clone(),
                    event: d.event.clone(),
                    stage: d
                        .stage
                        .as_ref()
                        .and_then(|s| execution.stages.iter().find(|x| &x.id == s))
                        .map(|s| s.name.clone()),
                    channel: d.notification.channel.kind().to_string(),
                    to: d.notification.channel.target(),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    last_error: None,
                    updated_at: Timestamp::now(),
                });
            }
            if let Err(error) = self.save(id, &deliveries).await {
                tracing::warn!("notifications cannot be recorded: {error}");
                return;
            }
            new
        };
        for d in new {
            let notifier = self.clone();
            let execution = execution.clone();
            tokio::spawn(
                async move { notifier.deliver(&execution, d, 0).await }
                    .instrument(tracing::info_span!("notification", execution.id = %id)),
            );
        }
    }

    /// Sends what was recorded but not sent before the server stopped.
    async fn resume(self: &Arc<Self>) {
        let keys = match self.store.list("notifications/").await {
            Ok(keys) => keys,
            Err(error) => {
                tracing::warn!("unsent notifications cannot be listed: {error}");
                return;
            }
        };
        for k in keys {
            let Some(id) = k
                .strip_prefix("notifications/")
                .and_then(|r| r.strip_suffix(".json"))
                .and_then(|r| r.parse::<ExecutionId>().ok())
            else {
                continue;
            };
            let Ok(deliveries) = self.load(id).await else {
                continue;
            };
            let pending: Vec<Delivery> = deliveries
                .into_iter()
                .filter(|d| d.status == DeliveryStatus::Pending)
                .collect();
            if pending.is_empty() {
                continue;
            }
            let Ok(execution) = self.engine.get(id).await else {
                continue;
            };
            for delivery in pending {
                if let Some(d) = due_of(&execution, &delivery.key) {
                    let notifier = self.clone();
                    let execution = execution.clone();
                    tokio::spawn(async move {
                        notifier.deliver(&execution, d, delivery.attempts).await
                    });
                }
            }
        }
    }

    /// Sends `due` until it goes through or the attempts are used up, recording each.
    async fn deliver(&self, execution: &Execution, due: Due, mut attempts: u32) {
        let message = messages::build(execution, &due, &self.public_url);
        loop {
            attempts += 1;
            let key = crate::idempotency::delivery_key(execution.id, &due.key);
            let result = self
                .sender
                .send(&due.notification.channel, &message, &key)
                .await
                .map_err(|e| e.to_string());
            let done = result.is_ok() || !RETRY.retries_after(attempts);
            self.note_health(&due, result.as_ref().err());
            match &result {
                Ok(()) => {
                    tracing::info!(event = %due.event, channel = due.notification.channel.kind(), "notification sent")
                }
                Err(error) => {
                    tracing::warn!(event = %due.event, channel = due.notification.channel.kind(), attempt = attempts, "notification failed: {error}")
                }
            }
            let status = match (&result, done) {
                (Ok(()), _) => DeliveryStatus::Sent,
                (Err(_), true) => DeliveryStatus::Failed,
                (Err(_), false) => DeliveryStatus::Pending,
            };
            self.record(execution, &due.key, status, attempts, result.err())
                .await;
            if done {
                return;
            }
            tokio::time::sleep(RETRY.pause(attempts)).await;
        }
    }

    async fn record(
        &self,
        execution: &Execution,
        key: &str,
        status: DeliveryStatus,
        attempts: u32,
        error: Option<String>,
    ) {
        let id = execution.id;
        let _guard = self.locks.lock(&id).await;
        let Ok(mut deliveries) = self.load(id).await else {
            return;
        };
        if let Some(d) = deliveries.iter_mut().find(|d| d.key == key) {
            d.status = status;
            d.attempts = attempts;
            d.last_error = error;
            d.updated_at = Timestamp::now();
        }
        if let Err(error) = self.save(id, &deliveries).await {
            tracing::warn!("a notification's outcome cannot be recorded: {error}");
        }
        // Open execution pages show it.
        self.engine.publish(execution);
    }

    fn note_health(&self, due: &Due, error: Option<&String>) {
        let channel = &due.notification.channel;
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let new = !health.contains_key(&(channel.kind().to_string(), channel.target()));
        let entry = health
            .entry((channel.kind().to_string(), channel.target()))
            .or_insert_with(|| ChannelHealth {
                channel: channel.kind().to_string(),
                to: channel.target(),
                failures: 0,
                last_error: None,
                last_attempt: Timestamp::now(),
            });
        entry.last_attempt = Timestamp::now();
        let was_failing = entry.failures > 0;
        match error {
            None => {
                entry.failures = 0;
                entry.last_error = None;
            }
            Some(error) => {
                entry.failures += 1;
                entry.last_error = Some(error.clone());
            }
        }
        if new || was_failing != (entry.failures > 0) {
            self.events.publish(Change::Accounts);
        }
    }
}
