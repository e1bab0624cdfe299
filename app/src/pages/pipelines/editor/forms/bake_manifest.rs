//! The Bake (Manifest) stage's form: the renderer, what it renders (the chart and values files,
//! or the repository of a kustomization: expected artifacts by id), where in the repository, the
//! release name and namespace, Helm's overrides, and the id of the artifact it produces for a
//! later Deploy (Manifest).

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{
    Choice, Flag, Input, Setting, parse_pairs, show_pairs,
};
use gennaker_core::pipelines::write::Seg;

const RENDERERS: [(&str, &str); 4] = [
    ("HELM3", "Helm 3"),
    ("HELM2", "Helm 2 (rendered by Helm 3)"),
    ("KUSTOMIZE", "kustomize"),
    ("KUSTOMIZE4", "kustomize 4"),
];

fn is_kustomize(renderer: &str) -> bool {
    renderer.starts_with("KUSTOMIZE")
}

#[component]
pub(super) fn BakeManifestForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let renderer = draft.stage_field(
        &scope.ref_id,
        |s| as_text(s.settings.get("templateRenderer")),
        |_, _: String| {},
    );
    let overrides_field = draft.show(scope.path("overrides"));
    let overrides = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("overrides")],
        overrides_field.clone(),
        show_pairs,
        parse_pairs,
    );
    let produced_field = draft.show_tree(scope.path("expectedArtifacts"));
    let produced = draft.stage_field(
        &scope.ref_id,
        |s| {
            s.settings
                .get("expectedArtifacts")
                .and_then(|e| e.get(0))
                .map(|e| as_text(e.get("id")))
                .unwrap_or_default()
        },
        |s, id: String| {
            let id = id.trim().to_string();
            let mut expected = s
                .settings
                .get("expectedArtifacts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if id.is_empty() {
                if !expected.is_empty() {
                    expected.remove(0);
                }
            } else if let Some(Value::Object(first)) = expected.first_mut() {
                first.insert("id".into(), json!(id));
            } else {
                expected.insert(0, produced_artifact(&id));
            }
            s.settings
                .insert("expectedArtifacts".into(), Value::Array(expected));
        },
    );
    view! {
        <Choice path=vec![Seg::Key("templateRenderer")] id="stage-bake-renderer" label="Renderer" options=RENDERERS.to_vec() />
        {move || if is_kustomize(&renderer.get.get()) {
            view! { <KustomizeInput /> }.into_any()
        } else {
            view! { <HelmInputs /> }.into_any()
        }}
        <div class="form-grid">
            <Setting path=vec![Seg::Key("outputName")] id="stage-bake-output" label="Output name" required=true
                hint="The baked artifact's name, and Helm's release name." />
            <Setting path=vec![Seg::Key("namespace")] id="stage-bake-namespace" label="Namespace"
                hint="Optional: the namespace the chart renders for." />
        </div>
        <Input id="stage-bake-overrides" label="Overrides" field=overrides_field value=overrides area=true
            hint="One name=value per line, as helm --set takes them (image.tag=1.2)." />
        <Flag path=vec![Seg::Key("rawOverrides")] id="stage-bake-raw" label="Read override values as Helm types them (--set, not --set-string)" />
        <Flag path=vec![Seg::Key("includeCRDs")] id="stage-bake-crds" label="Include the chart's CRDs" />
        <Input id="stage-bake-produced" label="Produced artifact id" field=produced_field value=produced required=true
            hint="A Deploy (Manifest) after this stage reads the baked manifests by this id." />
    }
}

/// The expected artifact a bake produces: its embedded/base64 result.
fn produced_artifact(id: &str) -> Value {
    json!({"id": id, "displayName": id, "matchArtifact": {"type": "embedded/base64"},
        "useDefaultArtifact": false, "usePriorArtifact": false})
}

/// `inputArtifacts` as one expected artifact id per line, the chart first; an input written
/// as an artifact is shown (and kept) as its JSON.
fn show_inputs(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| match item.get("id").and_then(Value::as_str) {
                    Some(id) if item.get("artifact").is_none() => id.to_string(),
                    _ => item.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn parse_inputs(text: &str) -> Result<Option<Value>, String> {
    let mut items = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('{') {
            let item: Map<String, Value> = serde_json::from_str(line)
                .map_err(|e| format!("{line:?} is not an artifact's JSON: {e}"))?;
            items.push(Value::Object(item));
        } else {
            items.push(json!({"id": line}));
        }
    }
    Ok((!items.is_empty()).then_some(Value::Array(items)))
}

#[component]
fn HelmInputs() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show_tree(scope.path("inputArtifacts"));
    let inputs = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("inputArtifacts")],
        field.clone(),
        show_inputs,
        parse_inputs,
    );
    view! {
        <Input id="stage-bake-inputs" label="Chart and values files" field value=inputs area=true required=true
            hint="Expected artifact ids, one per line: the chart (a git/repo, or a packaged chart), then values files." />
        <Setting path=vec![Seg::Key("helmChartFilePath")] id="stage-bake-chart-path" label="Chart path"
            hint="In a git/repo chart: the chart's directory or its Chart.yaml (charts/web)." />
    }
}

#[component]
fn KustomizeInput() -> impl IntoView {
    view! {
        <Setting path=vec![Seg::Key("inputArtifact"), Seg::Key("id")] id="stage-bake-repository" label="Repository" required=true
            hint="The id of the expected git/repo artifact that holds the kustomization." />
        <Setting path=vec![Seg::Key("kustomizeFilePath")] id="stage-bake-kustomization" label="Kustomization" required=true
            hint="Its path in the repository (overlays/prod/kustomization.yaml)." />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_ids_one_per_line_and_artifacts_are_kept() {
        let written = parse_inputs("chart\n{\"artifact\": {\"type\": \"embedded/base64\", \"reference\": \"eA==\"}}\n\nvalues").unwrap().unwrap();
        assert_eq!(written[0], json!({"id": "chart"}));
        assert_eq!(written[1]["artifact"]["type"], "embedded/base64");
        assert_eq!(written[2], json!({"id": "values"}));
        let shown = show_inputs(Some(&written));
        assert_eq!(parse_inputs(&shown).unwrap().unwrap(), written);
        assert!(
            parse_inputs("{nope")
                .unwrap_err()
                .contains("not an artifact's JSON")
        );
        assert_eq!(
            produced_artifact("baked")["matchArtifact"]["type"],
            "embedded/base64"
        );
    }
}
