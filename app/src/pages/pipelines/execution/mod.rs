//! One execution: who started it and with which parameters, its stages laid out by depth with
//! their status and duration, the selected stage's details ([`stage`]), Cancel (with a reason),
//! Pause and Resume ([`actions`]), and a box that evaluates an expression against the
//! execution ([`evaluate`]). Live: it follows the application's pipeline events.

mod actions;
mod evaluate;
mod job;
mod notifications;
mod stage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde_json::Value;

use super::bars::{execution_duration, started_by};
use super::graph::{GraphStage, StageColumns, waits_for};
use super::{editor_href, judgment_href};
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::task_progress::{StatusBadge, duration};
use crate::components::time::When;
use crate::error::{AppError, settle};
use crate::pages::application::ApplicationContext;
use crate::pipelines::get_execution;
use actions::{ExecutionActions, OpenDialogs};
use evaluate::{EvaluateBox, Evaluation};
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::Execution;
use stage::StageDetails;

lazy_page!(
    /// An execution's details.
    ExecutionRoute => ExecutionPage
);

#[component]
pub fn ExecutionPage() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let execution = Resource::new(
        move || (id.get(), context.live.pipeline.get()),
        |(id, _)| async move {
            let id = ExecutionId::parse(&id)
                .map_err(|_| AppError::NotFound(format!("There is no execution {id:?}.")))?;
            settle(get_execution(id).await)
        },
    );
    // The stage shown: the one the link named, else the one that decided the outcome.
    let selected = RwSignal::new(query.read_untracked().get("stage"));
    OpenDialogs::provide();
    Evaluation::provide();
    view! {
        <Title text="Execution" />
        <Transition fallback=|| view! { <Loading label="Loading the execution…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    execution.await.map(|execution| view! { <ExecutionView execution selected /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn parameter_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[component]
fn ExecutionView(execution: Execution, selected: RwSignal<Option<String>>) -> impl IntoView {
    let live: Signal<u64> = expect_context::<ApplicationContext>().live.pipeline.into();
    let shown = Memo::new({
        let fallback = execution.deciding_stage().map(|s| s.ref_id.clone());
        move |_| selected.get().or_else(|| fallback.clone())
    });
    let graph: Vec<GraphStage> = execution
        .stages
        .iter()
        .map(|s| GraphStage {
            ref_id: s.ref_id.clone(),
            name: s.name.clone(),
            requisites: s.requisite_stage_ref_ids.clone(),
        })
        .collect();
    let stages = StoredValue::new(execution.stages.clone());
    let node = move |i: usize, all: std::sync::Arc<[GraphStage]>| {
        let stage = stages.with_value(|s| s[i].clone());
        let ref_id = stage.ref_id.clone();
        let is_shown = {
            let ref_id = ref_id.clone();
            move || shown.get().as_deref() == Some(ref_id.as_str())
        };
        let took = stage.start_time.map(|s| duration(s, stage.end_time));
        view! {
            <button type="button" class=format!("stage-node {}", stage.status.class()) aria-pressed=move || is_shown().to_string()
                on:click=move |_| selected.set(Some(ref_id.clone()))>
                <span class="stage-node-name">{stage.name.clone()}</span>
                <span class="stage-node-meta">
                    <StatusBadge status=stage.status />
                    {took.map(|t| view! { <span class="stage-node-duration">{t}</span> })}
                </span>
                <span class="stage-node-after">{waits_for(&all, &all[i])}</span>
            </button>
        }
    };
    let details = {
        let execution = execution.clone();
        move || {
            let chosen = shown.get()?;
            let stage = execution.stage(&chosen)?.clone();
            Some(view! { <StageDetails execution=execution.clone() stage /> })
        }
    };
    let app = execution.application.clone();
    let judge = execution
        .waiting_judgment()
        .map(|stage| judgment_href(&app, execution.id, &stage.ref_id));
    let started = execution.start_time.unwrap_or(execution.build_time);
    let parameters: Vec<(String, String)> = execution
        .trigger
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), parameter_text(v)))
        .collect();
    view! {
        <section class="execution" aria-labelledby="execution-title">
            <div class="execution-header">
                <div>
                    <p class="breadcrumb">
                        <a href=format!("/applications/{app}/pipelines")>"Pipelines"</a> " / "
                        <a href=editor_href(&app, &execution.pipeline_config_id)>{execution.name.clone()}</a>
                    </p>
                    <h2 id="execution-title">
                        {format!("Execution of {}", execution.name)} " " <StatusBadge status=execution.status />
                    </h2>
                    <p class="execution-meta">
                        "Started " {started_by(&execution.trigger)} " " <When at=started />
                        {execution_duration(&execution).map(|d| view! { " · " <span class="execution-duration">{d}</span> })}
                    </p>
                    {execution.cancellation_reason.clone().map(|reason| view! {
                        <p class="hint">{format!("Canceled by {}: {reason}", execution.canceled_by.clone().unwrap_or_default())}</p>
                    })}
                </div>
                <div class="execution-actions">
                    {judge.map(|href| view! { <a class="button primary" href=href>"Judge now"</a> })}
                    <ExecutionActions execution=execution.clone() />
                </div>
            </div>
            {(!parameters.is_empty()).then(|| view! {
                <details class="more-options">
                    <summary>{format!("Parameters ({})", parameters.len())}</summary>
                    <dl class="facts">
                        {parameters.into_iter().map(|(k, v)| view! { <dt>{k}</dt> <dd>{v}</dd> }).collect_view()}
                    </dl>
                </details>
            })}
            <StageColumns stages=Signal::stored(graph) node label="Stages" />
            {details}
            <EvaluateBox id=execution.id />
            <notifications::ExecutionNotifications id=execution.id live=live />
        </section>
    }
}
