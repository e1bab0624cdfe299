//! Steps that pipeline stages need beyond the cluster: a Wait, a Manual Judgment, a child
//! pipeline, a webhook call and its status. Like every step they are run again after a
//! restart: a Wait counts from its stored start, a judgment reads its stored input, a child
//! pipeline has its id fixed before it starts (so a second run finds it rather than starting
//! another), and a webhook's status is polled from the URL stored by its call.

use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::ExecutionStatus;
use gennaker_core::tasks::model::{Origin, Outputs, WebhookMonitor, WebhookRequest};
use gennaker_core::time::Timestamp;
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult};
use crate::tasks::outcome::{Outcome, StepError};

/// The output the webhook call leaves for its monitor and for later stages.
const WEBHOOK_OUTPUT: &str = "webhook";

impl Executor<'_> {
    /// Done once `seconds` have passed since the step started (a restart keeps the start).
    pub(in crate::tasks) fn wait(&self, seconds: u64) -> Outcome {
        let started = self.step.started_at.unwrap_or_else(Timestamp::now);
        let until = started.plus(std::time::Duration::from_secs(seconds));
        if Timestamp::now() >= until {
            Outcome::done(format!("waited {seconds} s"))
        } else {
            Outcome::WaitUntil {
                until,
                message: format!("waiting until {}", until.exact()),
            }
        }
    }

    /// Waits until the execution window opens (from the step's start, so a restart waits for
    /// the same opening), then `jitter_seconds` more; a "skip remaining window" ends it.
    pub(in crate::tasks) fn execution_window(
        &self,
        window: &gennaker_core::pipelines::windows::ExecutionWindow,
        jitter_seconds: u64,
    ) -> StepResult {
        if let Some(input) = &self.step.input {
            let user = input
                .get("user")
                .and_then(Value::as_str)
                .unwrap_or("someone");
            return Ok(Outcome::done(format!(
                "{user} skipped the rest of the window"
            )));
        }
        let started = self.step.started_at.unwrap_or_else(Timestamp::now);
        let opens = crate::tasks::windows::next_open(window, started)
            .map_err(|e| StepError::refused(e.to_string()))?;
        let ready = opens.plus(std::time::Duration::from_secs(jitter_seconds));
        let jitter = if jitter_seconds > 0 {
            format!(" and {jitter_seconds} s more")
        } else {
            String::new()
        };
        if Timestamp::now() >= ready {
            return Ok(Outcome::done(format!(
                "the window opened {}{jitter}",
                crate::tasks::windows::local_time(window, opens)
            )));
        }
        Ok(Outcome::WaitUntil {
            until: ready,
            message: format!(
                "waiting for its execution window ({}): it opens {}{jitter}",
                gennaker_core::pipelines::windows::describe(window),
                crate::tasks::windows::local_time(window, opens)
            ),
        })
    }

    /// Waits for the decision the pipeline engine hands in: `{"judgmentStatus": "continue" |
    /// "stop", "judgmentInput": ..., "user": ...}`.
    pub(in crate::tasks) fn judgment(&self) -> StepResult {
        let Some(input) = &self.step.input else {
            return Ok(Outcome::AwaitInput {
                message: "waiting for a judgment".into(),
            });
        };
        let status = input
            .get("judgmentStatus")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let user = input
            .get("user")
            .and_then(Value::as_str)
            .unwrap_or("someone");
        let chosen = input
            .get("judgmentInput")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        let said = chosen.map(|c| format!(" ({c})")).unwrap_or_default();
        match status.as_str() {
            "continue" => {
                let mut outputs = Outputs::new();
                outputs.insert("judgmentStatus".into(), json!("continue"));
                if let Some(chosen) = chosen {
                    outputs.insert("judgmentInput".into(), json!(chosen));
                }
                Ok(Outcome::Done {
                    message: format!("{user} chose Continue{said}"),
                    outputs,
                })
            }
            "stop" => Err(StepError::refused(format!("{user} chose Stop{said}"))),
            other => Err(StepError::refused(format!(
                "the judgment {other:?} is neither continue nor stop"
            ))),
        }
    }

    /// Starts the child execution (once: its id was fixed when the stage was planned) and,
    /// with `wait`, follows it to its end.
    pub(in crate::tasks) async fn run_pipeline(
        &self,
        application: &str,
        pipeline: &str,
        parameters: &Map<String, Value>,
        child: ExecutionId,
        wait: bool,
    ) -> StepResult {
        let Some(children) = self.children else {
            return Err(StepError::refused("the pipeline engine is not running"));
        };
        let Origin::Stage {
            execution,
            stage_ref_id,
        } = &self.task.origin
        else {
            return Err(StepError::refused(
                "only a pipeline stage can run another pipeline",
            ));
        };
        children
            .start_child(
                child,
                application,
                pipeline,
                parameters,
                (*execution, stage_ref_id),
                &self.task.created_by,
            )
            .await
            .map_err(|e| StepError::refused(e.to_string()))?;
        let mut outputs = Outputs::new();
        outputs.insert("executionId".into(), json!(child.to_string()));
        if !wait {
            return Ok(Outcome::Done {
                message: format!("started execution {child}"),
                outputs,
            });
        }
        match children.child_status(child).await {
            Some((ExecutionStatus::Succeeded, _)) => {
                outputs.insert("status".into(), json!("SUCCEEDED"));
                Ok(Outcome::Done {
                    message: format!("execution {child} succeeded"),
                    outputs,
                })
            }
            Some((status, reason)) if status.is_complete() => Err(StepError::refused(format!(
                "execution {child} ended {}{}",
                status.as_str(),
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ))),
            Some((status, _)) => Ok(Outcome::pending(format!(
                "execution {child} is {}",
                status.label().to_lowercase()
            ))),
            None => Ok(Outcome::pending(format!("starting execution {child}"))),
        }
    }

    /// Calls the webhook. A status code in `failFastStatusCodes` or any other error answer
    /// fails the stage; one in `retryStatusCodes` (or no answer at all) is tried again.
    pub(in crate::tasks) async fn call_webhook(&self, request: &WebhookRequest) -> StepResult {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| StepError::refused(format!("{} is not an HTTP method", request.method)))?;
        let mut call = self.http.request(method, &request.url);
        for (name, value) in &request.headers {
            call = call.header(name, value);
        }
        // Recorded before it leaves, so a restart knows the receiver may have it already.
        let (ours, sent_before) = self.record_sending().await?;
        // A key the stage sets itself (a custom header) is the one sent, and reported.
        let theirs = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(crate::idempotency::HEADER))
            .map(|(_, value)| value.clone());
        let key = match theirs {
            Some(theirs) => theirs,
            None => {
                call = call.header(crate::idempotency::HEADER, &ours);
                ours
            }
        };
        if let Some(payload) = &request.payload {
            call = call.json(payload);
        }
        let response = call.send().await.map_err(|e| StepError::Webhook {
            message: format!("calling {}: {e}", request.url),
            retryable: true,
        })?;
        let code = u64::from(response.status().as_u16());
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text.clone()));
        if request.fail_fast_status_codes.contains(&code) {
            return Err(StepError::refused(format!(
                "the webhook answered {code}, a status that fails the stage at once: {}",
                snippet(&text)
            )));
        }
        if request.retry_status_codes.contains(&code) {
            return Err(StepError::Webhook {
                message: format!("the webhook answered {code}: {}", snippet(&text)),
                retryable: true,
            });
        }
        if !(200..300).contains(&code) {
            return Err(StepError::refused(format!(
                "the webhook answered {code}: {}",
                snippet(&text)
            )));
        }
        let mut webhook = Map::new();
        webhook.insert("statusCode".into(), json!(code));
        webhook.insert("body".into(), body);
        webhook.insert("url".into(), json!(request.url));
        if let Some(location) = location {
            webhook.insert("location".into(), json!(location));
        }
        webhook.insert("idempotencyKey".into(), json!(key));
        let mut outputs = Outputs::new();
        outputs.insert(WEBHOOK_OUTPUT.into(), Value::Object(webhook));
        let again = if sent_before > 0 {
            format!(
                " (sent {} times with Idempotency-Key {key})",
                sent_before + 1
            )
        } else {
            String::new()
        };
        Ok(Outcome::Done {
            message: format!("the webhook answered {code}{again}"),
            outputs,
        })
    }

    /// Reads the status at the status URL until it is a success (done), canceled or terminal
    /// (failed); in between, looks again every `poll_seconds`.
    pub(in crate::tasks) async fn monitor_webhook(&self, monitor: &WebhookMonitor) -> StepResult {
        let call = self
            .task
            .outputs
            .get(WEBHOOK_OUTPUT)
            .cloned()
            .unwrap_or(Value::Null);
        let url = match monitor.status_url_resolution.as_str() {
            "locationHeader" => call
                .get("location")
                .and_then(Value::as_str)
                .map(str::to_string),
            "webhookResponse" => monitor
                .status_url_json_path
                .as_deref()
                .and_then(|path| json_path(call.get("body").unwrap_or(&Value::Null), path))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => call.get("url").and_then(Value::as_str).map(str::to_string),
        }
        .ok_or_else(|| {
            StepError::refused(format!(
                "the webhook's answer gives no status URL ({})",
                monitor.status_url_resolution
            ))
        })?;
        let mut get = self.http.get(&url);
        for (name, value) in &monitor.headers {
            get = get.header(name, value);
        }
        let response = get.send().await.map_err(|e| StepError::Webhook {
            message: format!("reading the status at {url}: {e}"),
            retryable: true,
        })?;
        let code = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if !(200..300).contains(&code) {
            return Err(StepError::Webhook {
                message: format!("the status URL {url} answered {code}: {}", snippet(&text)),
                retryable: code >= 500,
            });
        }
        let body: Value = serde_json::from_str(&text).map_err(|e| {
            StepError::refused(format!(
                "the status at {url} is not JSON ({e}): {}",
                snippet(&text)
            ))
        })?;
        let status = json_path(&body, &monitor.status_json_path)
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        let is = |list: &[String]| list.iter().any(|s| s.eq_ignore_ascii_case(&status));
        if is(&monitor.success_statuses) {
            let mut outputs = Outputs::new();
            let mut webhook = call.as_object().cloned().unwrap_or_default();
            webhook.insert("monitor".into(), json!({"status": status, "body": body}));
            outputs.insert(WEBHOOK_OUTPUT.into(), Value::Object(webhook));
            return Ok(Outcome::Done {
                message: format!("status {status}"),
                outputs,
            });
        }
        if is(&monitor.canceled_statuses) {
            return Err(StepError::refused(format!(
                "the webhook's status is {status}, a canceled status"
            )));
        }
        if is(&monitor.terminal_statuses) {
            return Err(StepError::refused(format!(
                "the webhook's status is {status}, a terminal status"
            )));
        }
        Ok(Outcome::WaitUntil {
            until: Timestamp::now()
                .plus(std::time::Duration::from_secs(monitor.poll_seconds.max(1))),
            message: if status.is_empty() {
                format!("no status at {} yet", monitor.status_json_path)
            } else {
                format!("status {status}")
            },
        })
    }
}

/// The start of a body, for messages.
fn snippet(text: &str) -> String {
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    if short.trim().is_empty() {
        "(no body)".into()
    } else {
        short
    }
}

/// The value at a JSONPath like Spinnaker users write for webhooks: `$.status`,
/// `$.data.state`, `$['status']`, `$.items[0].phase`, `status` (the `$.` may be left out).
pub fn json_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let path = path.trim();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    let mut current = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = after[..end].trim();
            rest = &after[end + 1..];
            current = match inside.parse::<usize>() {
                Ok(i) => current.get(i)?,
                Err(_) => current.get(inside.trim_matches(|c| c == '\'' || c == '"'))?,
            };
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        current = current.get(&rest[..end])?;
        rest = &rest[end..];
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_as_webhook_users_write_them() {
        let body = json!({"status": "RUNNING", "data": {"items": [{"phase": "Done"}]}, "a b": 1});
        assert_eq!(json_path(&body, "$.status"), Some(&json!("RUNNING")));
        assert_eq!(json_path(&body, "status"), Some(&json!("RUNNING")));
        assert_eq!(
            json_path(&body, "$.data.items[0].phase"),
            Some(&json!("Done"))
        );
        assert_eq!(json_path(&body, "$['a b']"), Some(&json!(1)));
        assert_eq!(json_path(&body, "$.missing"), None);
        assert_eq!(json_path(&body, "$"), Some(&body));
    }
}
