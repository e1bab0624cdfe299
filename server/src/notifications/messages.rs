//! What a notification says: a title, text with the links, and the same as JSON for webhooks.

use gennaker_app::pipelines::{judgment_path, url_text};
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::notifications::event_label;
use serde_json::{Value, json};

use super::Due;

/// One notification's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The e-mail subject, and the first line elsewhere.
    pub title: String,
    /// Plain text with the links.
    pub text: String,
    /// For webhooks.
    pub json: Value,
}

/// The message for `due` of `execution`; links start with `public_url`.
pub fn build(execution: &Execution, due: &Due, public_url: &str) -> Message {
    let stage = due
        .stage
        .as_ref()
        .and_then(|id| execution.stages.iter().find(|s| &s.id == id));
    let link = format!(
        "{public_url}/applications/{}/executions/{}",
        url_text(&execution.application),
        url_text(&execution.id.to_string())
    );
    let judging = due.event == "manualJudgment";
    let judgment = stage
        .filter(|_| due.event.starts_with("manualJudgment"))
        .map(|s| {
            format!(
                "{public_url}{}",
                judgment_path(
                    &execution.application,
                    &execution.id.to_string(),
                    Some(&s.id)
                )
            )
        });
    let what = match stage {
        Some(s) if judging => format!("stage {} is awaiting a judgment", s.name),
        Some(s) => format!("stage {}: {}", s.name, event_label(&due.event)),
        None => event_label(&due.event).to_string(),
    };
    let title = format!("{} › {}: {what}", execution.application, execution.name);
    let mut lines = vec![title.clone()];
    if let Some(text) = due
        .notification
        .messages
        .iter()
        .find(|(e, _)| *e == due.event)
        .map(|(_, t)| t)
    {
        lines.push(text.clone());
    }
    if let Some(s) = stage
        && judging
        && let Some(instructions) = s.context.get("instructions").and_then(Value::as_str)
        && !instructions.is_empty()
    {
        lines.push(format!("Instructions: {instructions}"));
    }
    if let Some(failure) = stage.and_then(|s| s.failure()).or_else(|| {
        (due.event == "pipeline.failed")
            .then(|| execution.stages.iter().find_map(|s| s.failure()))
            .flatten()
    }) {
        lines.push(format!("Why: {failure}"));
    }
    if matches!(
        due.event.as_str(),
        "manualJudgmentContinue" | "manualJudgmentStop"
    ) && let Some(by) = stage.and_then(|s| s.last_modified.as_ref())
    {
        lines.push(format!("Decided by {}", by.user));
    }
    lines.push(format!("Status: {}", execution.status.label()));
    if let Some(judgment) = &judgment
        && judging
    {
        lines.push(format!("Judge it: {judgment}"));
    }
    lines.push(format!("Execution: {link}"));
    let json = json!({
        "event": due.event,
        "application": execution.application,
        "pipeline": execution.name,
        "pipelineConfigId": execution.pipeline_config_id,
        "executionId": execution.id,
        "status": execution.status.as_str(),
        "stage": stage.map(|s| json!({"id": s.id, "refId": s.ref_id, "name": s.name, "type": s.kind, "status": s.status.as_str()})),
        "link": link,
        "judgmentLink": judgment,
        "message": lines.join("\n"),
    });
    Message {
        title,
        text: lines.join("\n"),
        json,
    }
}
