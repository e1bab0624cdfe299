//! The pipeline's own form, as Deck's Configuration: name and description, disabled, the
//! execution options (one at a time, keep the waiting ones, or at most N at once), and the
//! automated triggers, the parameters a manual start asks for, and its notifications.

use leptos::prelude::*;

use super::draft::{Draft, typed};
use super::notifications::PipelineNotifications;
use super::triggers::TriggersForm;
use crate::components::fields::{CheckboxField, TextArea, TextField};
use gennaker_core::pipelines::model::{Parameter, ParameterOption, PipelineConfig};

/// Options as one value per line.
fn options_text(parameter: &Parameter) -> String {
    parameter
        .options
        .iter()
        .flatten()
        .map(|o| o.value.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[component]
pub(super) fn ConfigurationForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let name = draft.field(|c| c.name.clone(), |c, v| c.name = v);
    let description = draft.field(
        |c| c.description.clone().unwrap_or_default(),
        |c, v: String| c.description = (!v.is_empty()).then_some(v),
    );
    let disabled = draft.field(|c| c.is_disabled(), |c, on| c.disabled = Some(on));
    let one_at_a_time = draft.field(PipelineConfig::limits_concurrency, |c, on: bool| {
        c.limit_concurrent = Some(on);
        // As Deck does: a pipeline that runs one at a time keeps the waiting runs.
        if on {
            c.keep_waiting_pipelines = Some(true);
        }
    });
    let keep_waiting = draft.field(PipelineConfig::keeps_waiting, |c, on| {
        c.keep_waiting_pipelines = Some(on)
    });
    let max_concurrent = draft.field(
        |c| {
            c.max_concurrent_executions
                .filter(|n| *n > 0)
                .map(|n| n.to_string())
                .unwrap_or_default()
        },
        |c, text: String| c.max_concurrent_executions = text.trim().parse::<i64>().ok(),
    );
    let limited = move || draft.config.with(PipelineConfig::limits_concurrency);
    view! {
        <section class="card" aria-labelledby="configuration-title">
            <h2 id="configuration-title">"Configuration"</h2>
            <TextField id="pipeline-config-name" label="Name" field=draft.show("name") value=name errors required=true />
            <TextArea id="pipeline-config-description" label="Description" field=draft.show("description") value=description errors
                hint="What the pipeline is for; shown in the Pipelines tab." />
            <CheckboxField id="pipeline-config-disabled" label="Disabled" checked=disabled hint="A disabled pipeline cannot be started." />
            <fieldset class="field-group">
                <legend>"Execution options"</legend>
                <CheckboxField id="pipeline-config-limit" label="Disable concurrent pipeline executions (only run one at a time)" checked=one_at_a_time />
                {move || if limited() {
                    view! { <CheckboxField id="pipeline-config-keep-waiting" label="Do not automatically cancel pipelines waiting in queue" checked=keep_waiting /> }.into_any()
                } else {
                    view! {
                        <TextField id="pipeline-config-max" label="Maximum number of concurrent executions" field=draft.show("maxConcurrentExecutions")
                            value=max_concurrent errors kind="number" hint="Empty or 0: no limit." />
                    }.into_any()
                }}
            </fieldset>
            <TriggersForm />
            <ParametersForm />
            <PipelineNotifications />
        </section>
    }
}

/// The parameters, each with its name, label, description, default, required and options.
#[component]
fn ParametersForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let count = Memo::new(move |_| draft.config.with(|c| c.parameters().len()));
    let add = move |_| {
        draft.config.update(|c| {
            c.parameter_config
                .get_or_insert_with(Vec::new)
                .push(Parameter::default());
        })
    };
    view! {
        <fieldset class="field-group">
            <legend>"Parameters"</legend>
            {move || {
                let n = count.get();
                if n == 0 {
                    return view! { <p class="hint">"No parameters: a manual start asks for nothing."</p> }.into_any();
                }
                (0..n).map(|i| view! { <ParameterRow i /> }).collect_view().into_any()
            }}
            <button type="button" class="button small" id="add-parameter" on:click=add>"+ Add parameter"</button>
        </fieldset>
    }
}

#[component]
fn ParameterRow(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let text = |get: fn(&Parameter) -> Option<String>, set: fn(&mut Parameter, Option<String>)| {
        draft.field(
            move |c| c.parameters().get(i).and_then(get).unwrap_or_default(),
            move |c, v: String| {
                if let Some(p) = c.parameter_config.as_mut().and_then(|ps| ps.get_mut(i)) {
                    set(p, (!v.is_empty()).then_some(v));
                }
            },
        )
    };
    let flag = |get: fn(&Parameter) -> bool, set: fn(&mut Parameter, bool)| {
        draft.field(
            move |c| c.parameters().get(i).is_some_and(get),
            move |c, on| {
                if let Some(p) = c.parameter_config.as_mut().and_then(|ps| ps.get_mut(i)) {
                    set(p, on);
                }
            },
        )
    };
    let name = text(
        |p| Some(p.name.clone()),
        |p, v| p.name = v.unwrap_or_default(),
    );
    let label = text(|p| p.label.clone(), |p, v| p.label = v);
    let description = text(|p| p.description.clone(), |p, v| p.description = v);
    let default = text(|p| p.default.clone(), |p, v| p.default = v);
    let required = flag(Parameter::is_required, |p, on| p.required = Some(on));
    let has_options = flag(
        |p| p.has_options == Some(true),
        |p, on| p.has_options = Some(on),
    );
    let initial = draft
        .config
        .with_untracked(|c| c.parameters().get(i).map(options_text).unwrap_or_default());
    let options = typed(initial, move |text| {
        let values: Vec<ParameterOption> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|value| ParameterOption {
                value: value.to_string(),
                ..ParameterOption::default()
            })
            .collect();
        draft.config.update(|c| {
            if let Some(p) = c.parameter_config.as_mut().and_then(|ps| ps.get_mut(i)) {
                p.options = Some(values);
            }
        });
    });
    let remove = move |_| {
        draft.config.update(|c| {
            if let Some(ps) = c.parameter_config.as_mut()
                && i < ps.len()
            {
                ps.remove(i);
            }
        })
    };
    let id = move |part: &str| format!("parameter-{i}-{part}");
    let path = move |part: &str| draft.show(format!("parameterConfig[{i}].{part}"));
    let title = move || {
        draft.config.with(|c| {
            c.parameters()
                .get(i)
                .map(|p| p.title().to_string())
                .unwrap_or_default()
        })
    };
    view! {
        <div class="list-item" role="group" aria-label=move || format!("Parameter {}", title())>
            <div class="form-grid">
                <TextField id=id("name") label="Name" field=path("name") value=name errors required=true />
                <TextField id=id("label") label="Label" field=path("label") value=label errors />
            </div>
            <TextField id=id("description") label="Description" field=path("description") value=description errors />
            <TextField id=id("default") label="Default" field=path("default") value=default errors />
            <CheckboxField id=id("required") label="Required" checked=required />
            <CheckboxField id=id("has-options") label="Offer a list of values" checked=has_options />
            {move || has_options.get.get().then(|| view! {
                <TextArea id=id("options") label="Options" field=path("options") value=options errors hint="One value per line." />
            })}
            <button type="button" class="button small" on:click=remove aria-label=move || format!("Remove parameter {}", title())>"Remove"</button>
        </div>
    }
}
