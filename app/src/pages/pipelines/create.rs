//! "Create pipeline" (a name, then the editor) and "Import JSON" (a pipeline exported from
//! Spinnaker, pasted: it keeps its id and every field, stage types Gennaker does not run
//! included, into this application).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::editor_href;
use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::fields::{TextArea, TextField};
use crate::error::{AppError, settle};
use crate::pages::application::ApplicationContext;
use crate::pipelines::create_pipeline;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::StoredPipeline;

/// Creates `config`, giving its answer to `done` or its refusal to `errors`.
fn creating(
    errors: RwSignal<Option<AppError>>,
    done: impl Fn(StoredPipeline) + Send + Sync + 'static,
) -> Action<PipelineConfig, Result<StoredPipeline, AppError>> {
    let create = Action::new(|config: &PipelineConfig| {
        let config = config.clone();
        async move { settle(create_pipeline(config).await) }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(stored)) => done(stored),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    create
}

/// The dialog's buttons.
#[component]
fn Buttons(on_close: Callback<()>, label: &'static str, pending: Signal<bool>) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            <button type="submit" class="button primary" disabled=move || pending.get()>{label}</button>
        </div>
    }
}

#[component]
pub fn CreatePipelineDialog(on_close: Callback<()>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let name = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let navigate = use_navigate();
    let create = creating(errors, move |stored| {
        navigate(
            &editor_href(&stored.config.application, &stored.config.id),
            Default::default(),
        );
    });
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        errors.set(None);
        create.dispatch(PipelineConfig {
            application: context.name.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            ..PipelineConfig::default()
        });
    };
    view! {
        <Dialog id="create-pipeline-dialog" title="Create pipeline" on_close focus="pipeline-name">
            <form on:submit=submit novalidate=true>
                <TextField id="pipeline-name" label="Pipeline name" field="name" value=name errors=errors.into() required=true />
                <FormError errors known_fields=&["name"] />
                <Buttons on_close label="Create" pending=create.pending().into() />
            </form>
        </Dialog>
    }
}

/// Reads pasted JSON as a pipeline of `application`, or says where it is malformed.
pub fn read_pipeline_json(text: &str, application: &str) -> Result<PipelineConfig, AppError> {
    let mut config: PipelineConfig = serde_json::from_str(text).map_err(|e| {
        AppError::invalid(
            "json",
            format!("Line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    config.application = application.to_string();
    Ok(config)
}

#[component]
pub fn ImportDialog(on_close: Callback<()>, on_imported: Callback<String>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let text = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let import = creating(errors, move |stored| on_imported.run(stored.config.name));
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        match read_pipeline_json(&text.get_untracked(), &context.name.get_untracked()) {
            Ok(config) => {
                errors.set(None);
                import.dispatch(config);
            }
            Err(error) => errors.set(Some(error)),
        }
    };
    view! {
        <Dialog id="import-dialog" title="Import JSON" on_close focus="import-json" wide=true>
            <form on:submit=submit novalidate=true>
                <TextArea id="import-json" label="Pipeline JSON" field="json" value=text errors=errors.into() rows=14
                    hint="A pipeline as Spinnaker exports it. It keeps its id and every field; stage types Gennaker does not run are kept and shown as not supported. It joins this application." />
                <FormError errors known_fields=&["json"] />
                <Buttons on_close label="Import" pending=import.pending().into() />
            </form>
        </Dialog>
    }
}
