//! A task's steps with their live status, as Spinnaker's progress dialog shows them: used by
//! the action dialogs after they start a task, and by the Tasks tab.

use leptos::prelude::*;

use crate::components::feedback::ErrorPanel;
use crate::error::settle;
use crate::live::Live;
use crate::tasks::{cancel_task, get_task};
use gennaker_core::ids::TaskId;
use gennaker_core::tasks::model::Status;
use gennaker_core::tasks::view::{StepView, TaskView};
use gennaker_core::time::Timestamp;

/// "2.3 s", "4 min 5 s": how long from `start` to `end` (or until now, by the page's clock).
pub fn duration(start: Timestamp, end: Option<Timestamp>) -> String {
    let seconds = end
        .unwrap_or_else(crate::components::time::now)
        .since(start)
        .as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!(
            "{} min {} s",
            (seconds / 60.0).floor(),
            (seconds % 60.0).floor()
        )
    }
}

/// A status that shows as a badge: its name, and the CSS class of its colour.
pub trait Badged: Copy + Send + Sync + 'static {
    fn label(self) -> &'static str;
    fn class(self) -> &'static str;
}

impl Badged for Status {
    fn label(self) -> &'static str {
        Status::label(self)
    }
    fn class(self) -> &'static str {
        Status::class(self)
    }
}

impl Badged for gennaker_core::pipelines::execution::ExecutionStatus {
    fn label(self) -> &'static str {
        gennaker_core::pipelines::execution::ExecutionStatus::label(self)
    }
    fn class(self) -> &'static str {
        gennaker_core::pipelines::execution::ExecutionStatus::class(self)
    }
}

/// A status as a coloured badge with its name in text.
#[component]
pub fn StatusBadge<S: Badged>(status: S) -> impl IntoView {
    view! { <span class=format!("status-badge {}", status.class())>{status.label()}</span> }
}

/// The steps of a task.
#[component]
pub fn TaskSteps(steps: Vec<StepView>) -> impl IntoView {
    view! {
        <ol class="task-steps">
            {steps
                .into_iter()
                .map(|step| {
                    let time = step.started_at.map(|s| duration(s, step.ended_at)).unwrap_or_default();
                    view! {
                        <li class=format!("task-step {}", step.status.class())>
                            <StatusBadge status=step.status />
                            <span class="task-step-label">{step.label}</span>
                            <span class="task-step-time">{time}</span>
                            {step.message.map(|m| view! { <span class="task-step-message">{m}</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// A task followed live: its status, its steps, and a Cancel button while it runs.
#[component]
pub fn TaskProgress(id: TaskId, live: Live) -> impl IntoView {
    let task = Resource::new(
        move || (id, live.task.get()),
        |(id, _)| async move { settle(get_task(id).await) },
    );
    let cancel = Action::new(|id: &TaskId| {
        let id = *id;
        async move { settle(cancel_task(id).await) }
    });
    view! {
        <section class="task-progress" aria-label="Task progress" aria-live="polite">
            <Transition fallback=|| view! { <p class="loading">"Starting the task…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        task.await.map(|task: TaskView| {
                            let id = task.id;
                            let running = !task.status.is_finished();
                            view! {
                                <p class="task-summary">
                                    <StatusBadge status=task.status />
                                    " " {task.description.clone()}
                                    {task.cancel_requested.then_some(" (cancel requested)")}
                                </p>
                                <TaskSteps steps=task.steps.clone() />
                                {task.error.clone().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                                {running.then(|| view! {
                                    <button type="button" class="button danger small" disabled=move || cancel.pending().get()
                                        on:click=move |_| { cancel.dispatch(id); }>
                                        "Cancel task"
                                    </button>
                                })}
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let at = |t: &str| Timestamp::parse(t).unwrap();
        assert_eq!(
            duration(
                at("2026-11-26T05:00:00Z"),
                Some(at("2026-11-26T05:00:02.25Z"))
            ),
            "2.2 s"
        );
        assert_eq!(
            duration(at("2026-11-26T05:00:00Z"), Some(at("2026-11-26T05:04:05Z"))),
            "4 min 5 s"
        );
    }
}
