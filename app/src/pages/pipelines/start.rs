//! "Start Manual Execution": the pipeline's parameters with their defaults (a select when a
//! parameter has options), required ones checked before the request goes, and the server's
//! refusal beside the parameter it names (`parameters.<name>`) or, when the pipeline cannot
//! start at all, under the form.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::fields::{SelectField, TextField};
use crate::error::{AppError, FieldError, settle};
use crate::pipelines::start_execution;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::model::Parameter;
use gennaker_core::pipelines::requests::{StartRequest, StoredPipeline};

/// A parameter's error path, as the server names it.
fn field(parameter: &Parameter) -> String {
    format!("parameters.{}", parameter.name)
}

#[component]
pub fn StartDialog(
    pipeline: StoredPipeline,
    /// Executions of the pipeline running now.
    running: usize,
    on_close: Callback<()>,
    on_started: Callback<Execution>,
) -> impl IntoView {
    let config = pipeline.config;
    let id = config.id.clone();
    let values: Vec<(Parameter, RwSignal<String>)> = config
        .parameters()
        .iter()
        .map(|p| {
            (
                p.clone(),
                RwSignal::new(p.default.clone().unwrap_or_default()),
            )
        })
        .collect();
    let values = StoredValue::new(values);
    let errors = RwSignal::new(None::<AppError>);
    let start = Action::new(move |request: &StartRequest| {
        let (id, request) = (id.clone(), request.clone());
        async move { settle(start_execution(id, request).await) }
    });
    Effect::new(move |_| match start.value().get() {
        Some(Ok(execution)) => on_started.run(execution),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        let mut parameters = Map::new();
        let mut missing = Vec::new();
        values.with_value(|values| {
            for (parameter, value) in values {
                let text = value.get_untracked();
                if parameter.is_required() && text.trim().is_empty() {
                    missing.push(FieldError::new(
                        &field(parameter),
                        format!("{} is required.", parameter.title()),
                    ));
                }
                parameters.insert(parameter.name.clone(), Value::String(text));
            }
        });
        if missing.is_empty() {
            errors.set(None);
            start.dispatch(StartRequest {
                parameters,
                ..StartRequest::default()
            });
        } else {
            errors.set(Some(AppError::Invalid(missing)));
        }
    };
    let shown: Signal<Option<AppError>> = errors.into();
    let inputs = values.with_value(|values| {
        values
            .iter()
            .enumerate()
            .map(|(i, (parameter, value))| {
                let id = format!("start-param-{i}");
                let label = parameter.title().to_string();
                let hint = parameter.description.clone().filter(|d| !d.is_empty());
                let required = parameter.is_required();
                match parameter.choices() {
                    Some(choices) => {
                        let mut options: Vec<(String, String)> = choices.iter().map(|c| (c.to_string(), c.to_string())).collect();
                        if !required || value.get_untracked().is_empty() {
                            options.insert(0, (String::new(), "(none)".to_string()));
                        }
                        view! {
                            <SelectField id label field=field(parameter) value=*value errors=shown options=Signal::stored(options) />
                            {hint.map(|h| view! { <p class="hint">{h}</p> })}
                        }
                        .into_any()
                    }
                    None => match hint {
                        Some(hint) => view! { <TextField id label field=field(parameter) value=*value errors=shown required hint /> }.into_any(),
                        None => view! { <TextField id label field=field(parameter) value=*value errors=shown required /> }.into_any(),
                    },
                }
            })
            .collect_view()
    });
    let has_parameters = values.with_value(|v| !v.is_empty());
    let focus = if has_parameters {
        "start-param-0"
    } else {
        "start-submit"
    };
    view! {
        <Dialog id="start-dialog" title="Start Manual Execution" on_close focus>
            <form on:submit=submit novalidate=true>
                <p>"This will start a new run of " <strong>{config.name.clone()}</strong> "."</p>
                {(running > 0).then(|| view! {
                    <p class="warning">{format!("{running} execution{} of this pipeline {} running now.", if running == 1 { "" } else { "s" }, if running == 1 { "is" } else { "are" })}</p>
                })}
                {has_parameters.then(|| view! { <h3>"Parameters"</h3> })}
                {inputs}
                <FormError errors known_fields=&[] known_prefix="parameters." />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" id="start-submit" class="button primary" disabled=move || start.pending().get()>
                        {move || if start.pending().get() { "Starting…" } else { "Run" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
