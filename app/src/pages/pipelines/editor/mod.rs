//! The pipeline editor: the configuration and the stage graph, a form per stage type, checked
//! as you type; Save (refused when someone saved first, never overwriting) and Revert; Edit as
//! JSON with problems at their line; history with a comparison and restore; delete.
//!
//! [`draft`] holds the configuration being edited and its problems; [`config`] is the
//! pipeline's own form; [`stages`] the graph and the stage picker; [`stage`] a stage's common
//! form, with [`types`], [`preconditions`], [`webhook`] and [`deploy`] per stage type; [`json`]
//! edits it all as JSON; [`history`] shows versions and deletes.

mod config;
mod draft;
mod forms;
mod history;
mod json;
mod notifications;
mod scope;
mod stage;
mod stages;
mod triggers;
mod widgets;
mod window;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::feedback::{ErrorPanel, FormError, Loading, Notice};
use crate::error::{AppError, FieldError, settle};
use crate::pages::application::ApplicationContext;
use crate::pipelines::{get_pipeline, save_pipeline};
use config::ConfigurationForm;
use draft::Draft;
use gennaker_core::pipelines::requests::StoredPipeline;
use history::{DeletePanel, HistoryPanel};
use json::JsonEditor;
use stage::StageForm;
use stages::StageGraph;

lazy_page!(
    /// The pipeline editor.
    PipelineEditorRoute => PipelineEditorPage
);

#[component]
pub fn PipelineEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // Bumped to start again from the stored pipeline (after a conflict, say).
    let reload = RwSignal::new(0u32);
    let stored = Resource::new(
        move || (id.get(), reload.get()),
        |(id, _)| async move { settle(get_pipeline(id).await) },
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the pipeline…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    stored.await.map(|stored| view! { <Editor stored reload /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// Where the problem at `field` is: a stage's name, or the configuration.
fn place(draft: Draft, field: &str) -> (String, Option<String>) {
    let index = field
        .strip_prefix("stages[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    draft
        .config
        .with_untracked(|c| match index.and_then(|i| c.stages.get(i)) {
            Some(stage) => (format!("Stage {}", stage.name), Some(stage.ref_id.clone())),
            None => ("Configuration".to_string(), None),
        })
}

/// The problems no input on screen shows, each with a way to the form that shows it.
#[component]
fn ProblemSummary(draft: Draft) -> impl IntoView {
    let list = move || draft.unshown();
    view! {
        {move || {
            let problems = list();
            (!problems.is_empty()).then(|| view! {
                <section class="problem-summary" aria-labelledby="problems-title">
                    <h2 id="problems-title">{format!("{} problem{} to fix before saving", problems.len(), if problems.len() == 1 { "" } else { "s" })}</h2>
                    <ul>
                        {problems.into_iter().map(|FieldError { field, message }| {
                            let (where_, stage) = place(draft, &field);
                            view! {
                                <li>
                                    <button type="button" class="link-button" on:click=move |_| draft.selected.set(stage.clone())>{where_}</button>
                                    ": " {message}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            })
        }}
    }
}

#[component]
fn Editor(stored: StoredPipeline, reload: RwSignal<u32>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let draft = Draft::new(stored.clone());
    provide_context(draft);
    let json_mode = RwSignal::new(false);
    let json_ok = RwSignal::new(true);
    let notice = RwSignal::new(None::<String>);
    let refusal = RwSignal::new(None::<AppError>);
    let save = Action::new(move |_: &()| {
        let (id, version) = draft
            .saved
            .with_untracked(|s| (s.config.id.clone(), s.version));
        let config = draft.config.get_untracked();
        async move {
            (
                config.clone(),
                settle(save_pipeline(id, version, config).await),
            )
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some((_, Ok(stored))) => {
            notice.set(Some(format!("Saved as version {}.", stored.version)));
            refusal.set(None);
            draft.saved.set(stored);
        }
        Some((config, Err(AppError::Invalid(errors)))) => {
            refusal.set(None);
            draft.refuse(config, errors);
        }
        Some((_, Err(error))) => refusal.set(Some(error)),
        None => {}
    });
    let dirty = Memo::new(move |_| draft.dirty());
    let can_save = move || {
        dirty.get()
            && draft.problems.with(Vec::is_empty)
            && draft.pending.get() == 0
            && json_ok.get()
            && !save.pending().get()
    };
    let conflicted = move || matches!(refusal.get(), Some(AppError::Conflict(_)));
    let name = move || draft.config.with(|c| c.name.clone());
    let app = context.name;
    let state = move || {
        let version = draft.saved.with(|s| s.version);
        if dirty.get() {
            format!("Version {version} · unsaved changes")
        } else {
            format!("Version {version} · in sync with the server")
        }
    };
    let revert = move |_| {
        draft.replace(draft.saved.get_untracked().config);
        notice.set(None);
    };
    view! {
        // The title outlives the editor's signals by a moment when the page is left (the
        // document's title is kept up to date by an effect of the whole app): read them gently.
        <Title text=move || format!("{} · Pipeline", draft.config.try_with(|c| c.name.clone()).unwrap_or_default()) />
        <section class="editor" aria-labelledby="editor-title">
            <div class="editor-header">
                <div>
                    <p class="breadcrumb"><a href=move || format!("/applications/{}/pipelines", app.get())>"Pipelines"</a> " /"</p>
                    <h2 id="editor-title">{name}</h2>
                    <p class="hint" role="status">{state}</p>
                </div>
                <div class="editor-modes">
                    <button type="button" class="button" aria-pressed=move || json_mode.get().to_string()
                        on:click=move |_| {
                            if json_mode.get_untracked() {
                                draft.generation.update(|g| *g += 1);
                            }
                            json_mode.update(|on| *on = !*on);
                        }>
                        {move || if json_mode.get() { "Back to the form" } else { "Edit as JSON" }}
                    </button>
                </div>
            </div>
            {move || json_mode.get().then(|| view! { <JsonEditor json_ok /> })}
            <div class="editor-layout" class:hidden=move || json_mode.get()>
                <StageGraph />
                <div class="editor-form">
                    {move || {
                        // Rebuilt when the configuration is replaced as a whole.
                        draft.generation.get();
                        let selected = Memo::new(move |_| {
                            let chosen = draft.selected.get()?;
                            let index = draft.index_of(&chosen)?;
                            let kind = draft.config.with(|c| c.stages[index].kind.clone());
                            Some((chosen, index, kind))
                        });
                        move || match selected.get() {
                            Some((ref_id, index, kind)) => view! { <StageForm ref_id index kind /> }.into_any(),
                            None => view! { <ConfigurationForm /> }.into_any(),
                        }
                    }}
                </div>
            </div>
            <div class="editor-footer">
                {move || (!json_mode.get()).then(|| view! { <ProblemSummary draft /> })}
                <FormError errors=refusal known_fields=&[] />
                {move || conflicted().then(|| view! {
                    <p class="warning">
                        "Someone saved this pipeline after you opened it; nothing was overwritten. Load their version to go on (your unsaved changes will be lost — copy them from Edit as JSON first if you need them). "
                        <button type="button" class="button small" on:click=move |_| reload.update(|n| *n += 1)>"Load the latest version"</button>
                    </p>
                })}
                <div class="form-actions">
                    <button type="button" class="button" disabled=move || !dirty.get() on:click=revert>"Revert"</button>
                    <button type="button" class="button primary" id="save-pipeline" disabled=move || !can_save()
                        on:click=move |_| { notice.set(None); save.dispatch(()); }>
                        {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                    </button>
                </div>
                <Notice text=notice />
            </div>
            <HistoryPanel />
            <DeletePanel />
        </section>
    }
}
