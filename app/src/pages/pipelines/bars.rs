//! An execution as Deck shows it in the Pipelines tab: a row with its status, who started it,
//! when and for how long, and a bar of equal-width markers, one per stage, each coloured by
//! its status and labelled with it in text.

use leptos::prelude::*;

use super::{execution_href, judgment_href};
use crate::components::task_progress::{StatusBadge, duration};
use crate::components::time::When;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, ExecutionTrigger};

/// A mark beside the colour, so a status reads without telling colours apart.
fn glyph(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Succeeded => "✓",
        ExecutionStatus::Terminal => "✕",
        ExecutionStatus::FailedContinue => "!",
        ExecutionStatus::Running => "▸",
        ExecutionStatus::Paused => "‖",
        ExecutionStatus::Canceled | ExecutionStatus::Stopped => "■",
        ExecutionStatus::Skipped => "–",
        ExecutionStatus::NotStarted => "",
    }
}

/// One marker per stage, in graph order (a stage after those it waits for); each links to
/// the stage in the details.
#[component]
pub fn StageBar(execution: Execution) -> impl IntoView {
    let href = execution_href(&execution.application, execution.id);
    let count = execution.stages.len().max(1);
    view! {
        <ol class="stage-bar" aria-label="Stages">
            {execution
                .stages_in_order()
                .into_iter()
                .map(|stage| {
                    let text = format!("{}: {}", stage.name, stage.status.label());
                    let title = text.clone();
                    view! {
                        <li class=format!("stage-marker {}", stage.status.class()) title=title
                            style=format!("flex-basis: {}%", 100.0 / count as f64)>
                            <a href=format!("{href}?stage={}", stage.ref_id) tabindex="-1">
                                <span class="visually-hidden">{text}</span>
                                <span class="stage-glyph" aria-hidden="true">{glyph(stage.status)}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// How long an execution ran, or has been running; nothing while it waits to start.
pub fn execution_duration(execution: &Execution) -> Option<String> {
    execution
        .start_time
        .map(|start| duration(start, execution.end_time))
}

/// What started an execution: "manually by alice", or its trigger ("Docker Registry:
/// team/web:v2 (sha256:…) in company").
pub fn started_by(trigger: &ExecutionTrigger) -> impl IntoView + use<> {
    if trigger.kind == "manual" || trigger.kind.is_empty() {
        view! { "manually by " <strong>{trigger.user.clone()}</strong> }.into_any()
    } else {
        view! { "by " <span class="trigger-source">{gennaker_core::pipelines::triggers::describe(trigger)}</span> }.into_any()
    }
}

/// One execution in the Pipelines tab.
#[component]
pub fn ExecutionRow(execution: Execution) -> impl IntoView {
    let href = execution_href(&execution.application, execution.id);
    let judge = execution
        .waiting_judgment()
        .map(|stage| judgment_href(&execution.application, execution.id, &stage.ref_id));
    let started = execution.start_time.unwrap_or(execution.build_time);
    let took = execution_duration(&execution).unwrap_or_else(|| "waiting to start".to_string());
    let waiting = matches!(execution.status, ExecutionStatus::NotStarted);
    let status = execution.status;
    let by = started_by(&execution.trigger);
    view! {
        <li class=format!("execution-row {}", status.class())>
            <div class="execution-head">
                <StatusBadge status />
                <span class="execution-meta">
                    {waiting.then_some("queued · ")}
                    {by}
                    " · " <When at=started /> " · "
                    <span class="execution-duration">{took}</span>
                </span>
                {judge.map(|href| view! { <a class="button small primary" href=href>"Judge now"</a> })}
                <a class="execution-link" href=href.clone()>
                    "Details" <span class="visually-hidden">{format!(" of the execution started {}", started.exact())}</span>
                </a>
            </div>
            <StageBar execution />
        </li>
    }
}
