//! The Manual Judgment stage's form: instructions, the inputs an approver picks from, the roles that may decide, the buttons' labels.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Input, Setting, parse_list, show_list};
use gennaker_core::pipelines::write::Seg;

/// One value per line, as `[{"value": ...}]`.
fn show_inputs(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| as_text(i.get("value")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn parse_inputs(text: &str) -> Result<Option<Value>, String> {
    let items: Vec<Value> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| json!({"value": l}))
        .collect();
    Ok(Some(Value::Array(items)))
}

/// Spinnaker's `selectedStageRoles` as the editor shows it: separated by commas.
fn show_roles(value: Option<&Value>) -> String {
    show_list(value)
}

fn parse_roles(text: &str) -> Result<Option<Value>, String> {
    parse_list(text)
}

#[component]
pub(super) fn ManualJudgmentForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path("judgmentInputs"));
    let inputs = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("judgmentInputs")],
        field.clone(),
        show_inputs,
        parse_inputs,
    );
    let roles_field = draft.show(scope.path("selectedStageRoles"));
    let roles = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("selectedStageRoles")],
        roles_field.clone(),
        show_roles,
        parse_roles,
    );
    view! {
        <Setting path=vec![Seg::Key("instructions")] id="stage-instructions" label="Instructions" area=true
            hint="What the approver should check before deciding." />
        <Input id="stage-judgment-inputs" label="Judgment inputs" field value=inputs area=true
            hint="Options the approver picks from when continuing, one per line (optional)." />
        <Input id="stage-judgment-roles" label="Authorized roles" field=roles_field value=roles
            hint="Only people with one of these roles may decide, separated by commas (empty: anyone who may run the pipeline)." />
        <div class="form-grid">
            <Setting path=vec![Seg::Key("continueButtonLabel")] id="stage-continue-label" label="Continue button label" hint="Default: Continue" />
            <Setting path=vec![Seg::Key("stopButtonLabel")] id="stage-stop-label" label="Stop button label" hint="Default: Stop" />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_and_roles_read_back() {
        let inputs = parse_inputs("ship\n\n hold \n").unwrap();
        assert_eq!(inputs, Some(json!([{"value": "ship"}, {"value": "hold"}])));
        assert_eq!(show_inputs(inputs.as_ref()), "ship\nhold");
        let roles = parse_roles(" ops, ,managers ").unwrap();
        assert_eq!(roles, Some(json!(["ops", "managers"])));
        assert_eq!(show_roles(roles.as_ref()), "ops, managers");
        assert_eq!(parse_roles(" , ").unwrap(), None);
    }
}
