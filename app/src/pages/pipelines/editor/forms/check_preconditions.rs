//! Check Preconditions: a list of checks, each an expression that must be true, another
//! stage's status, or a cluster's size, and whether failing it fails the pipeline.

use leptos::prelude::*;
use serde_json::json;

use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Choice, Flag, Setting, SettingList};
use gennaker_core::pipelines::execution::ExecutionStatus;
use gennaker_core::pipelines::write::{self, Seg};

const KINDS: [(&str, &str); 3] = [
    ("expression", "An expression is true"),
    ("stageStatus", "A stage has a status"),
    ("clusterSize", "A cluster has a size"),
];

#[component]
pub(super) fn CheckPreconditionsForm() -> impl IntoView {
    let row = |i: usize| view! { <Precondition i /> };
    view! {
        <SettingList key="preconditions" label="Check" add="+ Add check"
            new_item=|| json!({"type": "expression", "failPipeline": true, "context": {"expression": ""}}) row />
    }
}

#[component]
fn Precondition(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let ref_id = scope.ref_id.clone();
    let kind = Memo::new(move |_| {
        draft.with_stage(&ref_id, |s| {
            as_text(s.and_then(|s| {
                write::get(
                    &s.settings,
                    &[Seg::Key("preconditions"), Seg::Index(i), Seg::Key("type")],
                )
            }))
        })
    });
    let at = move |key: &'static str| {
        vec![
            Seg::Key("preconditions"),
            Seg::Index(i),
            Seg::Key("context"),
            Seg::Key(key),
        ]
    };
    let id = move |part: &str| format!("stage-check-{i}-{part}");
    let statuses: Vec<(&'static str, &'static str)> = ExecutionStatus::ALL
        .into_iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    view! {
        <Choice path=vec![Seg::Key("preconditions"), Seg::Index(i), Seg::Key("type")] id=id("type") label="Check that" options=KINDS.to_vec() />
        {move || match kind.get().as_str() {
            "stageStatus" => view! {
                <div class="form-grid">
                    <Setting path=at("stageName") id=id("stage") label="Stage name" required=true />
                    <Choice path=at("stageStatus") id=id("status") label="Status" options=statuses.clone() />
                </div>
            }.into_any(),
            "clusterSize" => view! {
                <div class="form-grid">
                    <Setting path=at("credentials") id=id("account") label="Account" required=true />
                    <Setting path=vec![Seg::Key("preconditions"), Seg::Index(i), Seg::Key("context"), Seg::Key("regions"), Seg::Index(0)]
                        id=id("namespace") label="Namespace" required=true />
                    <Setting path=at("cluster") id=id("cluster") label="Cluster" required=true />
                    <Choice path=at("comparison") id=id("comparison") label="Comparison"
                        options=vec![("==", "=="), ("<", "<"), (">", ">"), ("<=", "<="), (">=", ">=")] />
                    <Setting path=at("expected") id=id("expected") label="Expected number of server groups" number=true />
                </div>
                <Flag path=at("onlyEnabledServerGroups") id=id("enabled-only") label="Count only enabled server groups" />
            }.into_any(),
            _ => view! {
                <Setting path=at("expression") id=id("expression") label="Expression" required=true
                    hint="Must be true for the pipeline to go on, such as ${parameters.env == 'prod'}." />
                <Setting path=at("failureMessage") id=id("message") label="Failure message" />
            }.into_any(),
        }}
        <Flag path=vec![Seg::Key("preconditions"), Seg::Index(i), Seg::Key("failPipeline")] id=id("fail") label="Fail the pipeline when this check fails" default=true />
    }
}
