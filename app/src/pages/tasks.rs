//! Tasks: every operation run from the UI or the API, newest first, with status, duration and
//! who started it; a task opens to show its steps. The Tasks page lists all of them, an
//! application's Tasks tab its own. Both update live.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::feedback::{EmptyState, ErrorPanel, Loading};
use crate::components::layout::PageHeader;
use crate::components::task_progress::{StatusBadge, TaskSteps, duration};
use crate::components::time::When;
use crate::live::{Live, use_live};
use crate::pages::application::ApplicationContext;
use crate::tasks::{cancel_task, list_tasks};
use gennaker_core::ids::TaskId;
use gennaker_core::tasks::view::TaskView;

lazy_page!(
    /// The Tasks page.
    TasksRoute => TasksPage
);
lazy_page!(
    /// An application's Tasks tab.
    TasksTabRoute => TasksTab
);

#[component]
pub fn TasksPage() -> impl IntoView {
    let live = use_live(None);
    view! {
        <Title text="Tasks" />
        <PageHeader
            title="Tasks"
            summary="Every operation on a cluster runs as a task, with its steps and their results."
        />
        <TaskList application=Signal::derive(|| None) live show_application=true />
    }
}

#[component]
pub fn TasksTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    view! {
        <section class="tab-panel" aria-label="Tasks">
            <TaskList application=Signal::derive(move || Some(context.name.get())) live=context.live show_application=false />
        </section>
    }
}

#[component]
fn TaskList(
    application: Signal<Option<String>>,
    live: Live,
    show_application: bool,
) -> impl IntoView {
    let tasks = Resource::new(
        move || (application.get(), live.task.get()),
        |(application, _)| list_tasks(application),
    );
    let expanded = RwSignal::new(None::<TaskId>);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading tasks…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    tasks.await.map(|tasks| {
                        if tasks.is_empty() {
                            return view! {
                                <EmptyState title="No tasks have run yet">
                                    <p>"Creating, resizing or destroying a server group starts a task; it is listed here with its steps."</p>
                                </EmptyState>
                            }.into_any();
                        }
                        view! {
                            <ul class="task-list" aria-label="Tasks">
                                {tasks.into_iter().map(|task| view! { <TaskRow task expanded show_application /> }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn TaskRow(
    task: TaskView,
    expanded: RwSignal<Option<TaskId>>,
    show_application: bool,
) -> impl IntoView {
    let id = task.id;
    let is_open = Memo::new(move |_| expanded.get() == Some(id));
    let toggle = move |_| expanded.update(|e| *e = if *e == Some(id) { None } else { Some(id) });
    let cancel = Action::new(|id: &TaskId| {
        let id = *id;
        async move { crate::error::settle(cancel_task(id).await) }
    });
    let running = !task.status.is_finished();
    let steps = task.steps.clone();
    let time = duration(task.created_at, task.ended_at);
    let panel_id = format!("task-{}", task.id);
    view! {
        <li class=format!("task-row {}", task.status.class())>
            <button type="button" class="task-head" aria-expanded=move || is_open.get().to_string() aria-controls=panel_id.clone() on:click=toggle>
                <StatusBadge status=task.status />
                <span class="task-description">{task.description.clone()}</span>
                <span class="task-meta">
                    {show_application.then(|| view! { "in " <span class="task-application">{task.application.clone()}</span> " · " })}
                    <When at=task.created_at in_control=true />
                    " · " {time} " · by " {task.created_by.clone()}
                </span>
            </button>
            <div id=panel_id class="task-detail" hidden=move || !is_open.get()>
                <TaskSteps steps />
                {task.error.clone().map(|e| view! { <p class="form-error">{e}</p> })}
                {running.then(|| view! {
                    <button type="button" class="button danger small" disabled=move || cancel.pending().get()
                        on:click=move |_| { cancel.dispatch(id); }>
                        "Cancel task"
                    </button>
                })}
            </div>
        </li>
    }
}
