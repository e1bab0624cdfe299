//! The Evaluate Variables stage's form: `variables`, a list of names and values (expressions).

use leptos::prelude::*;
use serde_json::json;

use crate::pages::pipelines::editor::widgets::{Setting, SettingList};
use gennaker_core::pipelines::write::Seg;

#[component]
pub(super) fn EvaluateVariablesForm() -> impl IntoView {
    let row = |i: usize| {
        view! {
            <div class="form-grid">
                <Setting path=vec![Seg::Key("variables"), Seg::Index(i), Seg::Key("key")] id=format!("stage-variable-{i}-key") label="Name" required=true />
                <Setting path=vec![Seg::Key("variables"), Seg::Index(i), Seg::Key("value")] id=format!("stage-variable-{i}-value") label="Value"
                    hint="Text or an expression such as ${parameters.env}." />
            </div>
        }
    };
    view! { <SettingList key="variables" label="Variable" add="+ Add variable" new_item=|| json!({"key": "", "value": ""}) row /> }
}
