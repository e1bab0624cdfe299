//! The Deploy (Manifest) stage's form: the account, a namespace override, and where the
//! manifests come from: written here, or read from an artifact (one of the pipeline's expected
//! artifacts, by id) with or without evaluating its expressions; and the artifacts that must
//! bind into them; and traffic management (the ReplicaSet as its cluster's next version behind
//! Services, with Red/Black or Highlander for the others).

use leptos::prelude::*;
use serde_json::Value;

use crate::components::fields::SelectField;
use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{
    AccountChoice, Choice, Flag, Input, ManifestText, Setting, parse_list, show_list,
};
use gennaker_core::pipelines::write::Seg;

const SOURCES: [(&str, &str); 2] = [
    ("text", "Written here"),
    ("artifact", "Read from an artifact"),
];

#[component]
pub(super) fn DeployManifestForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    // Spinnaker reads a stage without `source` as text, and so does the choice.
    let source = draft.stage_field(
        &scope.ref_id,
        |s| match s.settings.get("source").and_then(Value::as_str) {
            Some("artifact") => "artifact".to_string(),
            _ => "text".to_string(),
        },
        |s, choice: String| {
            s.settings.insert("source".into(), Value::String(choice));
        },
    );
    let source_field = draft.show(scope.path("source"));
    let options: Vec<(String, String)> = SOURCES
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    let field = draft.show(scope.path("requiredArtifactIds"));
    let required = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("requiredArtifactIds")],
        field.clone(),
        show_list,
        parse_list,
    );
    view! {
        <AccountChoice id="stage-manifest-account" />
        <Setting path=vec![Seg::Key("namespaceOverride")] id="stage-namespace-override" label="Namespace override"
            hint="Optional: deploy every object into this namespace." />
        <SelectField id="stage-manifest-source" label="Manifests" field=source_field value=source errors=draft.errors() options=Signal::stored(options) />
        {move || if source.get.get() == "artifact" {
            view! {
                <Setting path=vec![Seg::Key("manifestArtifactId")] id="stage-manifest-artifact" label="Manifest artifact" required=true
                    hint="The id of one of the pipeline's expected artifacts (embedded/base64, http/file, git/repo, github/file or gitlab/file)." />
                <Flag path=vec![Seg::Key("skipExpressionEvaluation")] id="stage-manifest-skip-expressions" label="Apply the manifests as written (skip expression evaluation)" />
            }.into_any()
        } else {
            view! { <ManifestText /> }.into_any()
        }}
        <Input id="stage-manifest-required" label="Required artifacts" field value=required
            hint="Comma-separated ids of expected artifacts that must bind (a docker/image replaces the image of each container naming it without a tag)." />
        <TrafficManagement />
    }
}

/// `trafficManagement`: the ReplicaSet as its cluster's next version behind Services, and
/// what happens to the other versions.
#[component]
fn TrafficManagement() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let enabled = draft.stage_field(
        &scope.ref_id,
        |s| {
            s.settings
                .get("trafficManagement")
                .and_then(|t| t.get("enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        },
        |_, _: bool| {},
    );
    let field = draft.show(scope.path("trafficManagement.options.services"));
    let services = draft.parsed(
        &scope.ref_id,
        vec![
            Seg::Key("trafficManagement"),
            Seg::Key("options"),
            Seg::Key("services"),
        ],
        field.clone(),
        show_services,
        parse_services,
    );
    let options = vec![
        ("none", "None: only deploy the new version"),
        ("redblack", "Red/Black: then disable the other versions"),
        ("highlander", "Highlander: then destroy the other versions"),
    ];
    view! {
        <Flag path=vec![Seg::Key("trafficManagement"), Seg::Key("enabled")] id="stage-traffic-enabled"
            label="Deploy the ReplicaSet as its cluster's next version behind Services" />
        {move || enabled.get.get().then(|| view! {
            <Input id="stage-traffic-services" label="Services" field=field.clone() value=services required=true
                hint="Comma-separated names of Services in the ReplicaSet's namespace." />
            <Flag path=vec![Seg::Key("trafficManagement"), Seg::Key("options"), Seg::Key("enableTraffic")]
                id="stage-traffic-enable" label="Send the Services' traffic to the new version" />
            <Choice path=vec![Seg::Key("trafficManagement"), Seg::Key("options"), Seg::Key("strategy")]
                id="stage-traffic-strategy" label="Strategy" options=options.clone() />
        })}
    }
}

/// Spinnaker's `["service web"]` as "web".
fn show_services(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.strip_prefix("service ").unwrap_or(s))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn parse_services(text: &str) -> Result<Option<Value>, String> {
    let services: Vec<Value> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Value::String(format!(
                "service {}",
                s.strip_prefix("service ").unwrap_or(s)
            ))
        })
        .collect();
    Ok((!services.is_empty()).then_some(Value::Array(services)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn services_are_written_as_spinnaker_names_them() {
        let written = parse_services("web, service api").unwrap().unwrap();
        assert_eq!(written, json!(["service web", "service api"]));
        assert_eq!(show_services(Some(&written)), "web, api");
        assert_eq!(parse_services(" ").unwrap(), None);
    }
}
