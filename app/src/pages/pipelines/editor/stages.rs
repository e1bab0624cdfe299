//! The editor's stage graph: the Configuration, then every stage by depth, each a button that
//! opens its form, marked when it has problems or is a type Gennaker does not run; "+ Add
//! stage" opens the type picker (label and description of each type). A new stage depends on
//! the stage whose form is open, so a sequence is built by adding one after another.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::draft::Draft;
use crate::components::dialog::Dialog;
use crate::pages::application::ApplicationContext;
use crate::pages::pipelines::graph::{GraphStage, StageColumns, waits_for};
use gennaker_core::pipelines::graph::{next_ref_id, nodes};
use gennaker_core::pipelines::model::{Stage, StageType};

/// The settings a new stage of `kind` starts with, as Deck's defaults.
fn defaults(kind: StageType, application: &str) -> Map<String, Value> {
    let value = match kind {
        StageType::Wait => json!({"waitTime": 30}),
        StageType::ManualJudgment => json!({"judgmentInputs": [], "instructions": ""}),
        StageType::CheckPreconditions => json!({"preconditions": []}),
        StageType::EvaluateVariables => json!({"variables": []}),
        StageType::Pipeline => {
            json!({"application": application, "pipeline": "", "waitForCompletion": true})
        }
        StageType::Webhook => json!({"method": "POST", "url": "", "waitForCompletion": false}),
        StageType::DeployManifest => {
            json!({"cloudProvider": "kubernetes", "source": "text", "account": "", "manifests": []})
        }
        StageType::BakeManifest => json!({"templateRenderer": "HELM3", "outputName": "",
            "inputArtifacts": [], "overrides": {}, "rawOverrides": false, "includeCRDs": false,
            "expectedArtifacts": []}),
        StageType::DeleteManifest => {
            json!({"cloudProvider": "kubernetes", "account": "", "location": "", "manifestName": ""})
        }
        StageType::Deploy => json!({"clusters": []}),
        StageType::ResizeServerGroup => json!({"cloudProvider": "kubernetes", "credentials": "",
            "namespaces": [], "cluster": "", "target": "current_asg_dynamic", "action": "scale_exact",
            "capacity": {"desired": 1}}),
        StageType::DisableServerGroup
        | StageType::EnableServerGroup
        | StageType::DestroyServerGroup => json!({"cloudProvider": "kubernetes", "credentials": "",
            "namespaces": [], "cluster": "", "target": "current_asg_dynamic"}),
        StageType::FindImageFromCluster => json!({"cloudProvider": "kubernetes", "credentials": "",
            "namespaces": [], "cluster": "", "selectionStrategy": "NEWEST", "onlyEnabled": true}),
        StageType::ScaleDownCluster => json!({"cloudProvider": "kubernetes", "credentials": "",
            "namespaces": [], "cluster": "", "remainingFullSizeServerGroups": 1,
            "preferLargerOverNewer": false, "allowScaleDownActive": false}),
        StageType::ShrinkCluster => json!({"cloudProvider": "kubernetes", "credentials": "",
            "namespaces": [], "cluster": "", "shrinkToSize": 1, "retainLargerOverNewer": false,
            "allowDeleteActive": false}),
        StageType::ScaleManifest => json!({"cloudProvider": "kubernetes", "account": "",
            "location": "", "manifestName": "", "mode": "static", "replicas": 1}),
        StageType::UndoRolloutManifest => json!({"cloudProvider": "kubernetes", "account": "",
            "location": "", "manifestName": "", "mode": "static", "numRevisionsBack": 1}),
        StageType::RollingRestartManifest => json!({"cloudProvider": "kubernetes", "account": "",
            "location": "", "manifestName": "", "mode": "static"}),
        StageType::RunJobManifest => json!({"cloudProvider": "kubernetes", "source": "text",
            "account": "", "application": application, "deleteJob": false,
            "manifest": {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"generateName": format!("{application}-job-"), "namespace": "default"},
                "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "main", "image": "busybox:1.36",
                        "command": ["sh", "-c", "echo SPINNAKER_PROPERTY_RESULT=done"]}]}}}}}),
        StageType::Jenkins => json!({"master": "", "job": "", "parameters": {},
            "waitForCompletion": true, "markUnstableAsSuccessful": false}),
        StageType::Script => json!({"account": "", "namespace": "default", "image": "alpine:3.20",
            "command": "", "deleteJob": false}),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[component]
pub(super) fn StageGraph() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let picking = RwSignal::new(false);
    let graph = Memo::new(move |_| {
        draft.config.with(|c| {
            c.stages
                .iter()
                .map(|s| GraphStage {
                    ref_id: s.ref_id.clone(),
                    name: s.name.clone(),
                    requisites: s.requisite_stage_ref_ids.clone(),
                })
                .collect::<Vec<_>>()
        })
    });
    let node = move |i: usize, all: std::sync::Arc<[GraphStage]>| view! { <StageNode i all /> };
    let configuring = move || draft.selected.get().is_none();
    view! {
        <section class="editor-graph" aria-labelledby="graph-title">
            <h2 id="graph-title" class="visually-hidden">"Stages"</h2>
            <div class="graph-toolbar">
                <button type="button" class="stage-node configuration" aria-pressed=move || configuring().to_string()
                    on:click=move |_| draft.selected.set(None)>
                    <span class="stage-node-name">"Configuration"</span>
                    <span class="stage-node-after">"Name, options, parameters"</span>
                </button>
                <button type="button" class="button primary" id="add-stage" on:click=move |_| picking.set(true)>"+ Add stage"</button>
            </div>
            {move || if graph.with(Vec::is_empty) {
                view! { <p class="hint">"No stages yet: add one."</p> }.into_any()
            } else {
                view! { <StageColumns stages=graph node=node label="Stages by order of execution" /> }.into_any()
            }}
        </section>
        {move || picking.get().then(|| view! { <StagePicker on_close=Callback::new(move |()| picking.set(false)) /> })}
    }
}

/// A stage of the editor's graph.
#[component]
fn StageNode(i: usize, all: std::sync::Arc<[GraphStage]>) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let stage = all[i].clone();
    let ref_id = stage.ref_id.clone();
    let kind = draft
        .config
        .with_untracked(|c| c.stages.get(i).map(|s| s.kind.clone()).unwrap_or_default());
    let label = StageType::parse(&kind).map(StageType::label);
    let (whole, inside) = (format!("stages[{i}]"), format!("stages[{i}]."));
    let has_problems = move || {
        draft.problems.with(|p| {
            p.iter()
                .any(|e| e.field == whole || e.field.starts_with(&inside))
        })
    };
    let pressed = {
        let ref_id = ref_id.clone();
        move || (draft.selected.get().as_deref() == Some(ref_id.as_str())).to_string()
    };
    view! {
        <button type="button" class="stage-node" class:unsupported=label.is_none() aria-pressed=pressed
            on:click=move |_| draft.selected.set(Some(ref_id.clone()))>
            <span class="stage-node-name">{stage.name.clone()}</span>
            <span class="stage-node-meta">
                {label.map_or_else(|| format!("{kind} (not supported)"), str::to_string)}
                {move || has_problems().then(|| view! { <span class="stage-node-problem">" · has problems"</span> })}
            </span>
            <span class="stage-node-after">{waits_for(&all, &stage)}</span>
        </button>
    }
}

/// Picks the type of a new stage.
#[component]
fn StagePicker(on_close: Callback<()>) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let application = expect_context::<ApplicationContext>().name;
    let chosen = RwSignal::new(StageType::ALL[0]);
    let add = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        let kind = chosen.get_untracked();
        let after = draft.selected.get_untracked();
        let mut new_ref = String::new();
        draft.config.update(|c| {
            new_ref = next_ref_id(&nodes(&c.stages, |s| {
                (s.ref_id.as_str(), s.requisite_stage_ref_ids.as_slice())
            }));
            c.stages.push(Stage {
                ref_id: new_ref.clone(),
                requisite_stage_ref_ids: after
                    .into_iter()
                    .filter(|r| c.stage(r).is_some())
                    .collect(),
                kind: kind.as_str().to_string(),
                name: kind.label().to_string(),
                settings: defaults(kind, &application.get_untracked()),
                ..Stage::default()
            });
        });
        // The open form sees the new stage first; it is closed a moment later, not in the same
        // update: its inputs would react to the change after they were gone.
        set_timeout(
            move || draft.selected.set(Some(new_ref)),
            std::time::Duration::ZERO,
        );
        on_close.run(());
    };
    view! {
        <Dialog id="stage-picker" title="Add stage" on_close focus="stage-type-0" wide=true>
            <form on:submit=add>
                <fieldset class="type-picker">
                    <legend class="visually-hidden">"Type"</legend>
                    {StageType::ALL.into_iter().enumerate().map(|(n, kind)| {
                        let id = format!("stage-type-{n}");
                        let target = id.clone();
                        view! {
                            <label class="type-choice" for=target>
                                <input type="radio" name="stage-type" id=id value=kind.as_str()
                                    prop:checked=move || chosen.get() == kind on:change=move |_| chosen.set(kind) />
                                <span class="type-choice-text">
                                    <strong>{kind.label()}</strong>
                                    <span class="hint">{kind.description()}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="add-stage-submit">"Add stage"</button>
                </div>
            </form>
        </Dialog>
    }
}
