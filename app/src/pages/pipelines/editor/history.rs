//! The pipeline's saved versions — compared field by field and stage by stage, one restored as
//! the newest — and deleting the pipeline after its name is typed.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::draft::Draft;
use crate::components::feedback::{ErrorPanel, FormError, Loading};
use crate::components::history::{Comparison, DiffRow, SavedVersion, VersionHistory};
use crate::error::{AppError, settle};
use crate::pipelines::{delete_pipeline, pipeline_history, restore_pipeline};
use gennaker_core::pipelines::model::PipelineConfig;

fn compact<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Two versions side by side: the pipeline's own fields, then each stage by refId.
fn rows(a: &PipelineConfig, b: &PipelineConfig) -> Vec<DiffRow> {
    let options = |c: &PipelineConfig| {
        format!(
            "one at a time: {}, keep waiting: {}, at most: {}",
            c.limits_concurrency(),
            c.keeps_waiting(),
            c.max_concurrent_executions.unwrap_or(0)
        )
    };
    let mut rows: Vec<DiffRow> = vec![
        ("Name".into(), a.name.clone(), b.name.clone()),
        (
            "Description".into(),
            a.description.clone().unwrap_or_default(),
            b.description.clone().unwrap_or_default(),
        ),
        (
            "Disabled".into(),
            a.is_disabled().to_string(),
            b.is_disabled().to_string(),
        ),
        ("Execution options".into(), options(a), options(b)),
        (
            "Parameters".into(),
            compact(&a.parameters()),
            compact(&b.parameters()),
        ),
        (
            "Triggers".into(),
            compact(&a.triggers),
            compact(&b.triggers),
        ),
    ];
    let mut ref_ids: Vec<&str> = a.stages.iter().map(|s| s.ref_id.as_str()).collect();
    for stage in &b.stages {
        if !ref_ids.contains(&stage.ref_id.as_str()) {
            ref_ids.push(&stage.ref_id);
        }
    }
    for ref_id in ref_ids {
        let (left, right) = (a.stage(ref_id), b.stage(ref_id));
        let name = right.or(left).map(|s| s.name.as_str()).unwrap_or_default();
        let text =
            |s: Option<&gennaker_core::pipelines::model::Stage>| s.map(compact).unwrap_or_default();
        rows.push((format!("Stage {ref_id}: {name}"), text(left), text(right)));
    }
    rows
}

#[component]
pub(super) fn HistoryPanel() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let id = draft.saved.with_untracked(|s| s.config.id.clone());
    let history = Resource::new(
        move || draft.saved.with(|s| (s.config.id.clone(), s.version)),
        |(id, _)| async move { settle(pipeline_history(id).await) },
    );
    let errors = RwSignal::new(None::<AppError>);
    let restore = Action::new(move |version: &u64| {
        let (id, version) = (id.clone(), *version);
        let expected = draft.saved.with_untracked(|s| s.version);
        async move { settle(restore_pipeline(id, version, expected).await) }
    });
    Effect::new(move |_| match restore.value().get() {
        Some(Ok(stored)) => {
            errors.set(None);
            draft.rebase(stored);
        }
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <p class="hint">"Restoring a version saves it as the newest; unsaved changes are dropped."</p>
            <Transition fallback=|| view! { <Loading label="Loading the history…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        let versions = history.await?;
                        let current_version = draft.saved.with_untracked(|s| s.version);
                        let versions: Vec<SavedVersion<PipelineConfig>> = versions
                            .into_iter()
                            .map(|v| SavedVersion { version: v.version, updated_at: v.updated_at, updated_by: v.updated_by, deleted: v.deleted, content: v.config })
                            .collect();
                        let comparison = Comparison { column: "Name", summary: |c: &PipelineConfig| c.name.clone(), rows };
                        Ok::<_, AppError>(view! { <VersionHistory versions current_version comparison restore /> })
                    })}
                </ErrorBoundary>
            </Transition>
            <FormError errors known_fields=&[] />
        </section>
    }
}

/// Deleting asks for the pipeline's name, as deleting an application does.
#[component]
pub(super) fn DeletePanel() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let typed = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let remove = Action::new(move |_: &()| {
        let (id, version) = draft
            .saved
            .with_untracked(|s| (s.config.id.clone(), s.version));
        async move { settle(delete_pipeline(id, version).await) }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => {
            let application = draft.saved.with_untracked(|s| s.config.application.clone());
            let navigate = navigate.clone();
            // Leaving takes this editor down: leave after this effect has run, not inside it,
            // so nothing of the editor is read once it is gone.
            request_animation_frame(move || {
                navigate(
                    &format!("/applications/{application}/pipelines"),
                    Default::default(),
                );
            });
        }
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let name = move || draft.saved.with(|s| s.config.name.clone());
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        remove.dispatch(());
    };
    view! {
        <section class="card danger" aria-labelledby="delete-pipeline-title">
            <h2 id="delete-pipeline-title">"Delete pipeline"</h2>
            <p>"Deleting removes " <strong>{name}</strong> " from the Pipelines tab. Its history is kept. Type its name to confirm."</p>
            <form on:submit=submit class="inline-form">
                <div class="field grow">
                    <label for="delete-pipeline-confirm">"Pipeline name"</label>
                    <input id="delete-pipeline-confirm" type="text" autocomplete="off" bind:value=typed />
                </div>
                <button type="submit" class="button danger" disabled=move || typed.get() != name() || remove.pending().get()>
                    "Delete pipeline"
                </button>
            </form>
            <FormError errors known_fields=&[] />
        </section>
    }
}
