//! What a stage that ran a Kubernetes Job or a Jenkins build kept: the output properties its
//! log or property file gave, and each Pod's container log (the end of it, when long), kept in
//! the stage so they stay readable after the Job and its Pods are deleted.

use leptos::prelude::*;
use serde_json::Value;

use gennaker_core::pipelines::execution::StageExecution;
use gennaker_core::tasks::model::JOB_LOGS_OUTPUT;

/// The properties a Job's log gave, as `name = value`.
fn property_lines(stage: &StageExecution) -> Vec<(String, String)> {
    stage
        .outputs
        .get("propertyFileContents")
        .and_then(Value::as_object)
        .map(|found| {
            found
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => (k.clone(), s.clone()),
                    other => (k.clone(), other.to_string()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The properties a Job's log or a build's property file gave, if any.
#[component]
pub(super) fn OutputProperties(stage: StageExecution) -> impl IntoView {
    let properties = property_lines(&stage);
    (!properties.is_empty()).then(|| {
        view! {
            <h4>"Output properties"</h4>
            <dl class="job-properties">
                {properties.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
        }
    })
}

/// The logs a Job's Pods left, kept by the stage.
#[component]
pub(super) fn JobLogs(stage: StageExecution) -> impl IntoView {
    let logs = stage
        .outputs
        .get(JOB_LOGS_OUTPUT)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let text = |entry: &Value, key: &str| entry[key].as_str().unwrap_or_default().to_string();
    view! {
        <h4>"Logs"</h4>
        {if logs.is_empty() {
            view! { <p class="hint">"The Job's Pods left no logs."</p> }.into_any()
        } else {
            logs.iter().enumerate().map(|(i, entry)| {
                let title = format!("{} / {}", text(entry, "pod"), text(entry, "container"));
                let truncated = entry["truncated"].as_bool() == Some(true);
                let open = i == 0;
                let body = match entry["error"].as_str() {
                    Some(error) => view! { <p class="hint">{error.to_string()}</p> }.into_any(),
                    None => view! {
                        <pre class="job-log" tabindex="0" aria-label=format!("Log of {title}")>{text(entry, "log")}</pre>
                    }.into_any(),
                };
                view! {
                    <details class="more-options" open=open>
                        <summary>{format!("Log of {title}")}{truncated.then_some(" (its last 64 KB)")}</summary>
                        {body}
                    </details>
                }
            }).collect_view().into_any()
        }}
    }
}
