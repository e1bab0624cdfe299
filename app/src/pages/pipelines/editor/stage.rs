//! A stage's form, as Deck's: its name, what it depends on (choices that would close a circle
//! are disabled, and say so), the form of its type, and its execution options — "If stage
//! fails" with Deck's four choices, a condition (`stageEnabled`), an overriding timeout — and
//! comments; moving it and removing it.

use leptos::prelude::*;

use super::draft::Draft;
use super::forms::TypeForm;
use super::notifications::StageNotifications;
use super::scope::StageScope;
use super::window::Window;
use crate::components::fields::{CheckboxField, TextArea, TextField};
use gennaker_core::pipelines::graph::{may_depend_on, nodes};
use gennaker_core::pipelines::model::{FailureChoice, StageEnabled, StageType};

#[component]
pub(super) fn StageForm(ref_id: String, index: usize, kind: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = StageScope {
        ref_id: ref_id.clone(),
        base: format!("stages[{index}]"),
    };
    provide_context(scope.clone());
    let errors = draft.errors();
    let name = draft.stage_field(&ref_id, |s| s.name.clone(), |s, v| s.name = v);
    let title = StageType::parse(&kind).map_or_else(
        || format!("{kind} stage"),
        |t| format!("{} stage", t.label()),
    );
    let comments = draft.stage_field(
        &ref_id,
        |s| s.comments.clone().unwrap_or_default(),
        |s, v: String| s.comments = (!v.is_empty()).then_some(v),
    );
    view! {
        <section class="card stage-form" aria-labelledby="stage-form-title">
            <div class="stage-form-head">
                <h2 id="stage-form-title">{title}</h2>
                <StageMoves ref_id=ref_id.clone() />
            </div>
            <TextField id="stage-name" label="Stage name" field=draft.show(scope.path("name")) value=name errors required=true />
            <DependsOn />
            <TypeForm kind=kind.clone() />
            <fieldset class="field-group">
                <legend>"Execution options"</legend>
                <FailureChoices />
                <Condition />
                <Timeout />
                <Window />
            </fieldset>
            <StageNotifications kind />
            <TextArea id="stage-comments" label="Comments" field=draft.show(scope.path("comments")) value=comments errors />
        </section>
    }
}

/// Move earlier, move later (in graph order: the stage changes places with its neighbour,
/// taking over what it waited for and what waited for it), remove.
#[component]
fn StageMoves(ref_id: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let neighbours = {
        let ref_id = ref_id.clone();
        Memo::new(move |_| draft.config.with(|c| c.neighbours(&ref_id)))
    };
    let swap_with = {
        let ref_id = ref_id.clone();
        move |other: Option<String>| {
            if let Some(other) = other {
                draft.config.update(|c| c.swap_places(&ref_id, &other));
            }
        }
    };
    let remove = move |_| {
        draft.config.update(|c| {
            c.stages.retain(|s| s.ref_id != ref_id);
            for stage in &mut c.stages {
                stage.requisite_stage_ref_ids.retain(|r| r != &ref_id);
            }
        });
        draft.selected.set(None);
    };
    let earlier = swap_with.clone();
    view! {
        <div class="stage-moves">
            <button type="button" class="button small" disabled=move || neighbours.with(|n| n.0.is_none())
                on:click=move |_| earlier(neighbours.get_untracked().0)>"Move earlier"</button>
            <button type="button" class="button small" disabled=move || neighbours.with(|n| n.1.is_none())
                on:click=move |_| swap_with(neighbours.get_untracked().1)>"Move later"</button>
            <button type="button" class="button small danger" on:click=remove>"Remove stage"</button>
        </div>
    }
}

/// "Depends on": the other stages, as checkboxes; one that already depends on this stage
/// cannot be chosen.
#[component]
fn DependsOn() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let path = draft.show(scope.path("requisiteStageRefIds"));
    let ref_id = scope.ref_id.clone();
    let choices = Memo::new(move |_| {
        draft.config.with(|c| {
            let graph = nodes(&c.stages, |s| {
                (s.ref_id.as_str(), s.requisite_stage_ref_ids.as_slice())
            });
            let Some(me) = c.stages.iter().position(|s| s.ref_id == ref_id) else {
                return Vec::new();
            };
            c.stages
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != me)
                .map(|(j, s)| {
                    let checked = c.stages[me].requisite_stage_ref_ids.contains(&s.ref_id);
                    (
                        s.ref_id.clone(),
                        s.name.clone(),
                        checked,
                        may_depend_on(&graph, me, j),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let messages = StoredValue::new(path);
    let messages = move || messages.with_value(|path| draft.messages(path));
    let toggle = move |other: String, on: bool| {
        draft.update_stage(&scope.ref_id, |s| {
            s.requisite_stage_ref_ids.retain(|r| r != &other);
            if on {
                s.requisite_stage_ref_ids.push(other);
            }
        })
    };
    view! {
        <fieldset class="field-group depends-on" class:has-error=move || !messages().is_empty()>
            <legend>"Depends on"</legend>
            <p class="hint">"The stage starts once all of these have finished; with none, it starts first."</p>
            {move || {
                let list = choices.get();
                if list.is_empty() {
                    return view! { <p class="hint">"There is no other stage yet."</p> }.into_any();
                }
                list.into_iter().map(|(other, name, checked, allowed)| {
                    let id = format!("depends-on-{other}");
                    let toggle = toggle.clone();
                    // A choice already made stays so it can be undone, even inside a circle.
                    let disabled = !allowed && !checked;
                    view! {
                        <div class="field checkbox">
                            <input id=id.clone() type="checkbox" prop:checked=checked disabled=disabled
                                on:change=move |ev| toggle(other.clone(), event_target_checked(&ev)) />
                            <label for=id>
                                {name}
                                {disabled.then(|| view! { <span class="hint">" (it depends on this stage: choosing it would make a circle)"</span> })}
                            </label>
                        </div>
                    }
                }).collect_view().into_any()
            }}
            {move || messages().into_iter().map(|m| view! { <p class="field-error">{m}</p> }).collect_view()}
        </fieldset>
    }
}

/// "If stage fails", with Deck's four labels.
#[component]
fn FailureChoices() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let ref_id = scope.ref_id.clone();
    let current = move || draft.with_stage(&ref_id, |s| s.map(|s| s.failure_choice()));
    view! {
        <fieldset class="radio-group">
            <legend>"If stage fails"</legend>
            {FailureChoice::ALL.into_iter().enumerate().map(|(n, choice)| {
                let id = format!("stage-fails-{n}");
                let current = current.clone();
                let ref_id = scope.ref_id.clone();
                view! {
                    <div class="field checkbox">
                        <input type="radio" name="stage-fails" id=id.clone() prop:checked=move || current() == Some(choice)
                            on:change=move |_| draft.update_stage(&ref_id, |s| s.set_failure_choice(choice)) />
                        <label for=id>{choice.label()}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// "Conditional on expression": the stage runs only when the expression is true.
#[component]
fn Condition() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let errors = draft.errors();
    let conditional = draft.stage_field(
        &scope.ref_id,
        |s| s.stage_enabled.is_some(),
        |s, on: bool| {
            s.stage_enabled = on.then(|| StageEnabled {
                kind: "expression".into(),
                ..StageEnabled::default()
            });
        },
    );
    let expression = draft.stage_field(
        &scope.ref_id,
        |s| {
            s.stage_enabled
                .as_ref()
                .and_then(|e| e.expression.clone())
                .unwrap_or_default()
        },
        |s, text: String| {
            let enabled = s.stage_enabled.get_or_insert_with(|| StageEnabled {
                kind: "expression".into(),
                ..StageEnabled::default()
            });
            enabled.expression = Some(text);
        },
    );
    let path = scope.path("stageEnabled.expression");
    view! {
        <CheckboxField id="stage-conditional" label="Conditional on expression" checked=conditional />
        {move || conditional.get.get().then(|| view! {
            <TextField id="stage-condition" label="Run the stage only when" field=draft.show(path.clone()) value=expression errors
                hint="An expression that is true or false, such as ${parameters.env == 'prod'}." />
        })}
    }
}

/// "Override timeout": fail the stage when it runs longer than this.
#[component]
fn Timeout() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let errors = draft.errors();
    let overridden = draft.stage_field(
        &scope.ref_id,
        |s| s.override_timeout == Some(true),
        |s, on: bool| {
            s.override_timeout = Some(on);
            if !on {
                s.stage_timeout_ms = None;
            }
        },
    );
    let seconds = draft.stage_field(
        &scope.ref_id,
        |s| {
            s.stage_timeout_ms
                .map(|ms| (ms / 1000).to_string())
                .unwrap_or_default()
        },
        |s, text: String| {
            s.stage_timeout_ms = text.trim().parse::<i64>().ok().map(|secs| secs * 1000)
        },
    );
    let path = scope.path("stageTimeoutMs");
    view! {
        <CheckboxField id="stage-override-timeout" label="Override timeout" checked=overridden />
        {move || overridden.get.get().then(|| view! {
            <TextField id="stage-timeout" label="Timeout (seconds)" field=draft.show(path.clone()) value=seconds errors kind="number"
                hint="The stage fails when it runs longer (paused time does not count)." />
        })}
    }
}
