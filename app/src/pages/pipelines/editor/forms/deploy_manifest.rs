//! The Deploy (Manifest) stage's form: the account, a namespace override, and where the
//! manifests come from: written here, or read from an artifact (one of the pipeline's expected
//! artifacts, by id) with or without evaluating its expressions; and the artifacts that must
//! bind into them.

use leptos::prelude::*;
use serde_json::Value;

use crate::components::fields::SelectField;
use crate::pages::pipelines::editor::draft::Draft;
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{
    AccountChoice, Flag, Input, ManifestText, Setting, parse_list, show_list,
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
    }
}
