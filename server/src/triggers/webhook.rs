//! Webhook triggers: `POST /webhooks/webhook/{source}` with a JSON body starts every enabled
//! webhook trigger with that `source` whose payload constraints hold (a regular expression per
//! field, matched against the whole value, as Spinnaker's echo does) and whose secret, if it
//! names one, the caller sent (`Authorization: Bearer <secret>` or `X-Gennaker-Secret`). The
//! body is the execution's `trigger.payload`; its `parameters` object gives the pipeline's
//! parameters.

use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::triggers::{TriggerSettings, WebhookTrigger};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Event, Triggers, Watched, full_match};

/// What a webhook call started, and why the other triggers it reached did not start.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub event_processed: bool,
    pub started: Vec<Started>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub application: String,
    pub pipeline: String,
    pub execution_id: ExecutionId,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub application: String,
    pub pipeline: String,
    pub reason: String,
}

/// Why a call was refused as a whole; nothing was started.
#[derive(Debug)]
pub enum Refused {
    /// No enabled trigger listens there (404).
    Unknown(String),
    /// The body cannot be read (400).
    BadBody(String),
    /// A signature or secret is missing or wrong for every trigger it reached (401).
    Unauthorized(String),
}

impl Outcome {
    pub fn skip(&mut self, watched: &Watched, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            application: watched.application.clone(),
            pipeline: watched.pipeline_name.clone(),
            reason: reason.into(),
        });
    }

    /// Starts `watched` for `event`, noting what happened.
    pub async fn start(&mut self, triggers: &Triggers, watched: &Watched, event: Event) {
        match triggers.fire(watched, event).await {
            Ok(execution) => self.started.push(Started {
                application: watched.application.clone(),
                pipeline: watched.pipeline_name.clone(),
                execution_id: execution.id,
            }),
            Err(error) => self.skip(watched, error.to_string()),
        }
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The value of `field` in `payload`: a top-level key, or a dotted path (`repository.name`).
fn field_value<'a>(payload: &'a Value, field: &str) -> Option<&'a Value> {
    payload.get(field).or_else(|| {
        field
            .split('.')
            .try_fold(payload, |value, part| value.get(part))
    })
}

/// Why `payload` does not meet `constraints`, if it does not.
pub fn unmet(constraints: &[(String, String)], payload: &Value) -> Option<String> {
    for (field, pattern) in constraints {
        let Some(value) = field_value(payload, field) else {
            return Some(format!("the payload has no field {field:?}"));
        };
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match full_match(pattern) {
            Ok(re) if re.is_match(&text) => {}
            Ok(_) => {
                return Some(format!(
                    "{field} is {text:?}, which does not match {pattern:?}"
                ));
            }
            Err(error) => return Some(error),
        }
    }
    None
}

fn webhook_triggers(triggers: &Triggers, source: &str) -> Vec<(Watched, WebhookTrigger)> {
    triggers
        .index
        .of(|s| match s {
            TriggerSettings::Webhook(w) => Some(w),
            _ => None,
        })
        .into_iter()
        .filter(|(_, w)| w.source == source)
        .collect()
}

/// Handles one call of `/webhooks/webhook/{source}`.
pub async fn receive(
    triggers: &Triggers,
    source: &str,
    secret: Option<&str>,
    body: &[u8],
) -> Result<Outcome, Refused> {
    let listening = webhook_triggers(triggers, source);
    if listening.is_empty() {
        return Err(Refused::Unknown(format!(
            "No enabled webhook trigger has the source {source:?}; add one to a pipeline (Triggers → Webhook)."
        )));
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Refused::BadBody(format!("The body is not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(Refused::BadBody(
            "The body must be a JSON object.".to_string(),
        ));
    }
    let mut outcome = Outcome {
        event_processed: true,
        ..Outcome::default()
    };
    let mut refused_secret = 0;
    for (watched, webhook) in &listening {
        if !webhook.secret_name.is_empty() {
            let Some(expected) = triggers.secrets.get(&webhook.secret_name) else {
                outcome.skip(
                    watched,
                    format!(
                        "its secret {:?} is not in the server's configuration",
                        webhook.secret_name
                    ),
                );
                continue;
            };
            if !secret.is_some_and(|s| same_secret(s.as_bytes(), expected.as_bytes())) {
                refused_secret += 1;
                outcome.skip(watched, "the secret is missing or wrong");
                continue;
            }
        }
        if let Some(reason) = unmet(&webhook.constraints, &payload) {
            outcome.skip(watched, reason);
            continue;
        }
        let parameters = payload
            .get("parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut fields = Map::new();
        fields.insert("source".into(), json!(source));
        fields.insert("payload".into(), payload.clone());
        if let Some(artifacts) = payload.get("artifacts") {
            fields.insert("artifacts".into(), artifacts.clone());
        }
        let event = Event {
            fields,
            parameters,
            id: ExecutionId::new(),
        };
        outcome.start(triggers, watched, event).await;
    }
    if refused_secret == listening.len() {
        tracing::warn!(%source, "a webhook call was refused: wrong or missing secret");
        return Err(Refused::Unauthorized(format!(
            "The secret is missing or wrong for every trigger of source {source:?}: send it as Authorization: Bearer <secret>."
        )));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_match_whole_values_of_fields_and_paths() {
        let payload = json!({"env": "prod", "build": 42, "repository": {"name": "web"}});
        let rules = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            unmet(
                &rules(&[("env", "prod|staging"), ("build", "4\\d")]),
                &payload
            ),
            None
        );
        assert_eq!(unmet(&rules(&[("repository.name", "web")]), &payload), None);
        assert_eq!(
            unmet(&rules(&[("env", "pro")]), &payload),
            Some("env is \"prod\", which does not match \"pro\"".to_string())
        );
        assert_eq!(
            unmet(&rules(&[("branch", ".*")]), &payload),
            Some("the payload has no field \"branch\"".to_string())
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
