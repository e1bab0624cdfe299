//! A task's steps with their live status, as Spinnaker's progress dialog shows them: used by
//! the action dialogs after they start a task, and by the Tasks tab.

use leptos::prelude::*;

use crate::applications::settle;
use crate::components::feedback::ErrorPanel;
use crate::live::Live;
use crate::tasks::model::{Status, Step, Task};
use crate::tasks::{cancel_task, get_task};

/// "2.3 s", "4 min 5 s": how long between two RFC 3339 timestamps (or until now).
pub fn duration(start: &str, end: Option<&str>) -> String {
    let parse = |t: &str| t.parse::<f64>().ok().or_else(|| seconds_of(t));
    let Some(start) = parse(start) else {
        return String::new();
    };
    let end = end.and_then(parse).unwrap_or_else(now_seconds);
    let seconds = (end - start).max(0.0);
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

/// Seconds since the epoch of `2026-11-26T05:01:02.123Z` (UTC, as the server writes them).
fn seconds_of(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let s = t.next()?.parse::<f64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + s)
}

fn now_seconds() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys_now() / 1000.0
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default()
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> f64 {
    web_sys::js_sys::Date::now()
}

/// A status as a coloured badge with its name in text.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("status-badge {}", status.class())>{status.label()}</span> }
}

/// The steps of a task.
#[component]
pub fn TaskSteps(steps: Vec<Step>) -> impl IntoView {
    view! {
        <ol class="task-steps">
            {steps
                .into_iter()
                .map(|step| {
                    let time = step.started_at.as_deref().map(|s| duration(s, step.ended_at.as_deref())).unwrap_or_default();
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
pub fn TaskProgress(id: String, live: Live) -> impl IntoView {
    let task_id = id.clone();
    let task = Resource::new(
        move || (task_id.clone(), live.task.get()),
        |(id, _)| async move { settle(get_task(id).await) },
    );
    let cancel = Action::new(|id: &String| {
        let id = id.clone();
        async move { settle(cancel_task(id).await) }
    });
    view! {
        <section class="task-progress" aria-label="Task progress" aria-live="polite">
            <Transition fallback=|| view! { <p class="loading">"Starting the task…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        task.await.map(|task: Task| {
                            let id = task.id.clone();
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
                                        on:click=move |_| { cancel.dispatch(id.clone()); }>
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
    fn timestamps_and_durations() {
        assert_eq!(seconds_of("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(seconds_of("2000-03-01T00:00:01.5Z"), Some(951_868_801.5));
        assert_eq!(
            duration("2026-11-26T05:00:00Z", Some("2026-11-26T05:00:02.25Z")),
            "2.2 s"
        );
        assert_eq!(
            duration("2026-11-26T05:00:00Z", Some("2026-11-26T05:04:05Z")),
            "4 min 5 s"
        );
    }
}
