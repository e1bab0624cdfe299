//! The Pipelines tab: each pipeline (disabled ones marked, stages Gennaker does not run named)
//! with its newest executions as rows of stage markers, live; a filter by status; Start Manual
//! Execution; Create pipeline and Import JSON.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::bars::ExecutionRow;
use super::create::{CreatePipelineDialog, ImportDialog};
use super::editor_href;
use super::start::StartDialog;
use crate::components::access::{RefusalNote, WithAccess};
use crate::components::feedback::{EmptyState, ErrorPanel, Loading, Notice};
use crate::components::fields::{Binding, SelectField};
use crate::error::AppError;
use crate::pages::application::ApplicationContext;
use crate::pipelines::{list_executions, list_pipelines};
use gennaker_core::auth::permissions::Authorization;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus};
use gennaker_core::pipelines::requests::{ExecutionFilter, StoredPipeline};

lazy_page!(
    /// An application's Pipelines tab.
    PipelinesTabRoute => PipelinesTab
);

/// How many executions of each pipeline the tab shows.
const PER_PIPELINE: usize = 5;

/// A dialog open on the tab.
#[derive(Clone)]
enum Open {
    Create,
    Import,
    Start(Box<StoredPipeline>, usize),
}

#[component]
pub fn PipelinesTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let query = use_query_map();
    let status = Memo::new(move |_| query.read().get("status").unwrap_or_default());
    // Saving a pipeline sends no event (only executions do): an import here reads the list again.
    let imported = RwSignal::new(0u32);
    let pipelines = Resource::new(
        move || (context.name.get(), live.pipeline.get(), imported.get()),
        |(name, _, _)| list_pipelines(name),
    );
    let executions = Resource::new(
        move || (context.name.get(), status.get(), live.pipeline.get()),
        |(name, status, _)| {
            list_executions(ExecutionFilter {
                application: Some(name),
                statuses: ExecutionStatus::parse(&status).into_iter().collect(),
                limit: PER_PIPELINE,
                per_pipeline: true,
                ..ExecutionFilter::default()
            })
        },
    );
    let open = RwSignal::new(None::<Open>);
    let notice = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let filter = Binding::new(
        move || status.get(),
        move |chosen: String| {
            let target = if chosen.is_empty() {
                String::new()
            } else {
                format!("?status={chosen}")
            };
            let path = format!(
                "/applications/{}/pipelines{target}",
                context.name.get_untracked()
            );
            navigate(&path, Default::default());
        },
    );
    let statuses: Vec<(String, String)> = std::iter::once((String::new(), "All".to_string()))
        .chain(
            ExecutionStatus::ALL
                .into_iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
        )
        .collect();
    let no_errors = Signal::derive(|| None::<AppError>);

    view! {
        <section class="tab-panel pipelines" aria-label="Pipelines">
            <div class="tab-toolbar pipelines-toolbar">
                <div class="filters">
                    <SelectField id="filter-status" label="Status" field="status" value=filter errors=no_errors options=Signal::stored(statuses) />
                </div>
                <WithAccess what=Authorization::Write render={move |refusal: Option<String>| {
                    let refused = refusal.is_some();
                    view! {
                        <button type="button" class="button primary" id="create-pipeline" disabled=refused on:click=move |_| open.set(Some(Open::Create))>
                            "+ Create pipeline"
                        </button>
                        <button type="button" class="button" id="import-pipeline" disabled=refused on:click=move |_| open.set(Some(Open::Import))>
                            "Import JSON"
                        </button>
                        <RefusalNote reason=refusal />
                    }
                }} />
            </div>
            <Notice text=notice />
            <Transition fallback=|| view! { <Loading label="Loading pipelines…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        let list = pipelines.await?;
                        let runs = executions.await?;
                        Ok::<_, AppError>(view! { <PipelineList pipelines=list executions=runs filtered=!status.get_untracked().is_empty() open /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
        {move || open.get().map(|dialog| {
            let close = Callback::new(move |()| open.set(None));
            match dialog {
                Open::Create => view! { <CreatePipelineDialog on_close=close /> }.into_any(),
                Open::Import => {
                    let done = Callback::new(move |name: String| {
                        open.set(None);
                        imported.update(|n| *n += 1);
                        notice.set(Some(format!("Imported {name}.")));
                    });
                    view! { <ImportDialog on_close=close on_imported=done /> }.into_any()
                }
                Open::Start(pipeline, running) => {
                    let done = Callback::new(move |execution: Execution| {
                        open.set(None);
                        notice.set(Some(format!("Started an execution of {}.", execution.name)));
                    });
                    view! { <StartDialog pipeline=*pipeline running on_close=close on_started=done /> }.into_any()
                }
            }
        })}
    }
}

#[component]
fn PipelineList(
    pipelines: Vec<StoredPipeline>,
    executions: Vec<Execution>,
    /// A status filter is on: an empty list means no match, not no runs.
    filtered: bool,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    if pipelines.is_empty() {
        return view! {
            <EmptyState title="No pipelines yet">
                <p>"Create one with + Create pipeline, or bring one from Spinnaker with Import JSON."</p>
            </EmptyState>
        }
        .into_any();
    }
    pipelines
        .into_iter()
        .map(|pipeline| {
            let runs: Vec<Execution> = executions
                .iter()
                .filter(|e| e.pipeline_config_id == pipeline.config.id)
                .cloned()
                .collect();
            view! { <PipelineGroup pipeline runs filtered open /> }
        })
        .collect_view()
        .into_any()
}

/// One pipeline and its newest executions.
#[component]
fn PipelineGroup(
    pipeline: StoredPipeline,
    runs: Vec<Execution>,
    filtered: bool,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    let config = &pipeline.config;
    let heading = format!("pipeline-{}", config.id);
    let labelled_by = heading.clone();
    let edit = editor_href(&config.application, &config.id);
    let disabled = config.is_disabled();
    let unsupported = config.unsupported_stages();
    let problems = pipeline.problems.clone();
    let running = runs
        .iter()
        .filter(|e| !e.status.is_complete() && e.status != ExecutionStatus::NotStarted)
        .count();
    let name = config.name.clone();
    let start = {
        let pipeline = pipeline.clone();
        move |_| open.set(Some(Open::Start(Box::new(pipeline.clone()), running)))
    };
    let start_label = format!("Start Manual Execution of {name}");
    let empty = if filtered {
        "No executions with this status."
    } else {
        "Not run yet: start it with Start Manual Execution."
    };
    view! {
        <section class="pipeline" aria-labelledby=labelled_by>
            <div class="pipeline-head">
                <h2 class="pipeline-name">
                    <a id=heading href=edit.clone()>{name.clone()}</a>
                    {disabled.then(|| view! { <span class="kind-badge">"Disabled"</span> })}
                    {(!unsupported.is_empty()).then(|| view! { <span class="kind-badge unsupported">"Not supported"</span> })}
                    {(!problems.is_empty()).then(|| view! { <span class="kind-badge unsupported">"Needs fixing"</span> })}
                    {(running > 0).then(|| view! { <span class="badge">{format!("{running} running")}</span> })}
                </h2>
                <div class="pipeline-actions">
                    <a class="button small" href=edit aria-label=format!("Configure {name}")>"Configure"</a>
                    <WithAccess what=Authorization::Execute render={move |refusal: Option<String>| {
                        let start = start.clone();
                        view! {
                            <button type="button" class="button small primary" disabled=disabled || refusal.is_some()
                                title=disabled.then_some("Enable the pipeline to start it.")
                                aria-label=start_label.clone() on:click=start>
                                "Start Manual Execution"
                            </button>
                            <RefusalNote reason=refusal />
                        }
                    }} />
                </div>
            </div>
            {config.description.clone().filter(|d| !d.is_empty()).map(|d| view! { <p class="pipeline-description">{d}</p> })}
            {(!unsupported.is_empty()).then(|| view! {
                <p class="warning">
                    "Gennaker does not run these stages yet: " {unsupported.join(", ")}
                    ". They are kept as they are; the pipeline cannot start until they are removed or replaced."
                </p>
            })}
            {(!problems.is_empty()).then(|| view! {
                <div class="warning pipeline-problems">
                    <p>"It cannot run here until these are fixed in the editor:"</p>
                    <ul class="path-list">
                        {problems.iter().map(|p| view! { <li><code>{p.field.clone()}</code> " " {p.message.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            {if runs.is_empty() {
                view! { <p class="hint">{empty}</p> }.into_any()
            } else {
                view! {
                    <ol class="executions" aria-label=format!("Executions of {name}")>
                        {runs.into_iter().map(|execution| view! { <ExecutionRow execution /> }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
}
