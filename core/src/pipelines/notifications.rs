//! Notifications, as Spinnaker writes them: a pipeline's `notifications[]` and a stage's
//! (`sendNotifications` with its own `notifications[]`), each `{type, address, when: [events],
//! message: {event: {text}}}`. Gennaker sends three kinds: `email` (`address`: one or more
//! addresses), `slack` (a Slack-compatible incoming webhook whose URL is the secret named by
//! Gennaker's `secretName`; `address` is the channel) and `webhook` (JSON to `address`, or to the
//! URL in `secretName`). What each attempt did is recorded per execution as [`Delivery`]s.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::{PipelineConfig, Stage};
use super::reader::Reader;
use crate::error::FieldError;
use crate::time::Timestamp;

/// A pipeline's events.
pub const PIPELINE_EVENTS: [&str; 3] =
    ["pipeline.starting", "pipeline.complete", "pipeline.failed"];
/// A stage's events.
pub const STAGE_EVENTS: [&str; 3] = ["stage.starting", "stage.complete", "stage.failed"];
/// A Manual Judgment's events: awaiting a decision, continued, stopped.
pub const JUDGMENT_EVENTS: [&str; 3] = [
    "manualJudgment",
    "manualJudgmentContinue",
    "manualJudgmentStop",
];

/// What an event is called on screen and in messages.
pub fn event_label(event: &str) -> &'static str {
    match event {
        "pipeline.starting" => "pipeline starting",
        "pipeline.complete" => "pipeline complete",
        "pipeline.failed" => "pipeline failed",
        "stage.starting" => "stage starting",
        "stage.complete" => "stage complete",
        "stage.failed" => "stage failed",
        "manualJudgment" => "awaiting judgment",
        "manualJudgmentContinue" => "judgment: continue",
        "manualJudgmentStop" => "judgment: stop",
        _ => "event",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    Email { to: Vec<String> },
    Slack { secret: String, channel: String },
    Webhook { url: String, secret: String },
}

impl Channel {
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Slack { .. } => "slack",
            Channel::Webhook { .. } => "webhook",
        }
    }

    /// Where it goes, as it may be shown: addresses, a channel, a URL, or the secret's name
    /// (never a secret's value).
    pub fn target(&self) -> String {
        match self {
            Channel::Email { to } => to.join(", "),
            Channel::Slack { secret, channel } if channel.is_empty() => format!("secret {secret}"),
            Channel::Slack { secret, channel } => format!("{channel} (secret {secret})"),
            Channel::Webhook { url, .. } if !url.is_empty() => url.clone(),
            Channel::Webhook { secret, .. } => format!("secret {secret}"),
        }
    }
}

/// One notification of a pipeline or a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub channel: Channel,
    /// The events it is sent on.
    pub when: Vec<String>,
    /// Custom texts per event (`message.<event>.text`).
    pub messages: Vec<(String, String)>,
}

fn read_one(r: &mut Reader<'_>, events: &[&str]) -> Option<Notification> {
    let kind = r.text("type").unwrap_or_default();
    let address = r.text("address").unwrap_or_default().trim().to_string();
    let secret = r.text("secretName").unwrap_or_default().trim().to_string();
    let channel = match kind.as_str() {
        "email" => {
            let to: Vec<String> = address
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect();
            if to.is_empty() {
                r.fail(
                    "address",
                    "Give one or more e-mail addresses, separated by commas.",
                );
            }
            for bad in to
                .iter()
                .filter(|a| !a.contains('@') || a.starts_with('@') || a.ends_with('@'))
            {
                r.fail("address", format!("{bad:?} is not an e-mail address."));
            }
            Channel::Email { to }
        }
        // Spinnaker's Slack (a bot token in its own configuration) names only a channel: such
        // a notification is kept as it is, and sent once a secret holding an incoming
        // webhook's URL is chosen.
        "slack" if secret.is_empty() => return None,
        "slack" => Channel::Slack {
            secret,
            channel: address,
        },
        "webhook" => {
            if address.is_empty() && secret.is_empty() {
                r.fail(
                    "address",
                    "Give the URL to send to, or name a secret that holds it.",
                );
            } else if !(address.is_empty()
                || address.starts_with("http://")
                || address.starts_with("https://"))
            {
                r.fail(
                    "address",
                    format!("{address:?} is not an http:// or https:// URL."),
                );
            }
            Channel::Webhook {
                url: address,
                secret,
            }
        }
        // Spinnaker's other kinds (pubsub, googlechat, ...) are kept as they are.
        _ => return None,
    };
    let when = r.texts("when");
    for event in &when {
        if !events.contains(&event.as_str()) {
            r.fail(
                "when",
                format!("{event:?} is not an event here: use {}.", events.join(", ")),
            );
        }
    }
    if when.is_empty() {
        r.fail("when", "Choose when to send it.");
    }
    let messages = r
        .object("message", |m| {
            events
                .iter()
                .filter_map(|event| {
                    m.object(event, |e| e.text("text").unwrap_or_default())
                        .filter(|t| !t.is_empty())
                        .map(|t| (event.to_string(), t))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Notification {
        channel,
        when,
        messages,
    })
}

/// The notifications in `object` (a pipeline's, or a stage's settings) at `path`.
fn read_list(
    object: &Map<String, Value>,
    path: &str,
    events: &[&str],
    errors: &mut Vec<FieldError>,
) -> Vec<Notification> {
    let mut r = Reader::new(object, path, false, errors);
    r.objects("notifications", |n| read_one(n, events))
        .into_iter()
        .flatten()
        .collect()
}

/// The pipeline's own notifications.
pub fn pipeline(config: &PipelineConfig, errors: &mut Vec<FieldError>) -> Vec<Notification> {
    let mut object = Map::new();
    if let Some(list) = &config.notifications {
        object.insert("notifications".into(), Value::Array(list.clone()));
    }
    read_list(&object, "", &PIPELINE_EVENTS, errors)
}

/// The events a stage of `kind` may notify on.
pub fn stage_events(kind: &str) -> Vec<&'static str> {
    let mut events = STAGE_EVENTS.to_vec();
    if kind == "manualJudgment" {
        events.extend(JUDGMENT_EVENTS);
    }
    events
}

/// A stage's notifications; none unless `sendNotifications` is on.
pub fn stage(stage: &Stage, path: &str, errors: &mut Vec<FieldError>) -> Vec<Notification> {
    if stage
        .settings
        .get("sendNotifications")
        .and_then(Value::as_bool)
        != Some(true)
    {
        return Vec::new();
    }
    read_list(&stage.settings, path, &stage_events(&stage.kind), errors)
}

/// Every problem of the notifications of `config` and its stages.
pub fn problems(config: &PipelineConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    pipeline(config, &mut errors);
    for (i, s) in config.stages.iter().enumerate() {
        stage(s, &format!("stages[{i}]"), &mut errors);
    }
    errors
}

/// The names of the secrets notifications of `config` use, with their paths.
pub fn secret_names(config: &PipelineConfig) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut collect = |list: &[Notification], path: &str| {
        for (i, n) in list.iter().enumerate() {
            let secret = match &n.channel {
                Channel::Slack { secret, .. } | Channel::Webhook { secret, .. } => secret,
                Channel::Email { .. } => continue,
            };
            if !secret.is_empty() {
                let prefix = if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}.")
                };
                found.push((
                    format!("{prefix}notifications[{i}].secretName"),
                    secret.clone(),
                ));
            }
        }
    };
    collect(&pipeline(config, &mut Vec::new()), "");
    for (i, s) in config.stages.iter().enumerate() {
        let path = format!("stages[{i}]");
        collect(&stage(s, &path, &mut Vec::new()), &path);
    }
    found
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    /// Not sent yet, or being tried again.
    Pending,
    Sent,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "Sending",
            DeliveryStatus::Sent => "Sent",
            DeliveryStatus::Failed => "Failed",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "running",
            DeliveryStatus::Sent => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One notification sent (or being sent) for one event of an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Unique within the execution: the event, the stage and attempt, the notification.
    pub key: String,
    pub event: String,
    /// The stage's name, for a stage's event.
    pub stage: Option<String>,
    /// `email`, `slack` or `webhook`.
    pub channel: String,
    /// Where it goes, as [`Channel::target`] shows it.
    pub to: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub updated_at: Timestamp,
}

/// How a channel has been doing lately, for the Infrastructure page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelHealth {
    pub channel: String,
    pub to: String,
    /// Failed attempts in a row (0: the last one went through).
    pub failures: u32,
    pub last_error: Option<String>,
    pub last_attempt: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: Value) -> PipelineConfig {
        serde_json::from_value(value).expect("a config")
    }

    #[test]
    fn spinnakers_notifications_are_read() {
        let c = config(json!({"application": "a", "name": "p",
        "notifications": [
            {"type": "email", "address": "ops@example.com, dev@example.com", "level": "pipeline",
             "when": ["pipeline.failed"], "message": {"pipeline.failed": {"text": "Look at it"}}},
            {"type": "slack", "address": "#deploys", "secretName": "slack-hook", "when": ["pipeline.complete"]},
            {"type": "pubsub", "publisherName": "x", "when": ["pipeline.complete"]}
        ]}));
        let mut errors = Vec::new();
        let list = pipeline(&c, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0].channel,
            Channel::Email {
                to: vec!["ops@example.com".into(), "dev@example.com".into()]
            }
        );
        assert_eq!(
            list[0].messages,
            vec![("pipeline.failed".to_string(), "Look at it".to_string())]
        );
        assert_eq!(list[1].channel.target(), "#deploys (secret slack-hook)");
    }

    #[test]
    fn a_judgment_stage_notifies_on_its_own_events_only_when_asked() {
        let mut c = config(json!({"application": "a", "name": "p", "stages": [
            {"refId": "1", "type": "manualJudgment", "name": "Approve", "sendNotifications": true,
             "notifications": [{"type": "webhook", "address": "http://127.0.0.1:9/hook", "when": ["manualJudgment", "manualJudgmentContinue"]}]},
            {"refId": "2", "type": "wait", "name": "Wait",
             "notifications": [{"type": "email", "address": "x@example.com", "when": ["manualJudgment"]}]}
        ]}));
        assert!(problems(&c).is_empty(), "{:?}", problems(&c));
        c.stages[1]
            .settings
            .insert("sendNotifications".into(), json!(true));
        let fields: Vec<String> = problems(&c).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["stages[1].notifications[0].when"]);
    }

    #[test]
    fn bad_channels_say_what_to_give() {
        let c = config(json!({"application": "a", "name": "p", "notifications": [
            {"type": "email", "address": "nobody", "when": ["pipeline.failed"]},
            {"type": "slack", "address": "#x", "when": ["pipeline.failed"]},
            {"type": "webhook", "address": "ftp://x", "when": []}
        ]}));
        let fields: Vec<String> = problems(&c).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "notifications[0].address",
                "notifications[2].address",
                "notifications[2].when"
            ]
        );
        // Spinnaker's Slack, without a webhook secret, is kept and not sent.
        assert_eq!(pipeline(&c, &mut Vec::new()).len(), 2);
    }
}
