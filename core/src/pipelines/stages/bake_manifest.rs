//! Bake (Manifest): `templateRenderer` (`HELM3`, `HELM2` rendered as Helm 3, `KUSTOMIZE`,
//! `KUSTOMIZE4`); the input artifacts, each `{id}` of an expected artifact (Deck writes `{id,
//! account}`) or `{artifact: {...}}` — for Helm `inputArtifacts` (the chart first, then values
//! files), for kustomize `inputArtifact` (the repository); `helmChartFilePath` or
//! `kustomizeFilePath`; `outputName`, `namespace`, `overrides`, `rawOverrides`, `includeCRDs`;
//! and the stage's `expectedArtifacts`, which the baked artifact binds.

use serde_json::Value;

use super::deploy_manifest::ArtifactChoice;
use crate::pipelines::artifacts::Artifact;
use crate::pipelines::reader::Reader;
use crate::tasks::model::Renderer;

#[derive(Debug, Clone, PartialEq)]
pub struct BakeManifest {
    pub renderer: Renderer,
    pub inputs: Vec<ArtifactChoice>,
    pub path: Option<String>,
    pub output_name: String,
    pub namespace: Option<String>,
    pub overrides: Vec<(String, String)>,
    pub raw_overrides: bool,
    pub include_crds: bool,
    pub expected: Vec<Value>,
}

pub(super) fn read(r: &mut Reader<'_>) -> BakeManifest {
    let renderer = match r.required_text(
        "templateRenderer",
        "the renderer: HELM3 or KUSTOMIZE",
    ) {
        Some(text) => Renderer::parse(&text).unwrap_or_else(|| {
            r.fail(
                "templateRenderer",
                format!("{text:?} is not a renderer Gennaker runs: use HELM3 (or HELM2), KUSTOMIZE (or KUSTOMIZE4)."),
            );
            Renderer::Helm
        }),
        None => Renderer::Helm,
    };
    let (key, path_key) = match renderer {
        Renderer::Helm => ("inputArtifacts", "helmChartFilePath"),
        Renderer::Kustomize if r.raw("inputArtifact").is_some() => {
            ("inputArtifact", "kustomizeFilePath")
        }
        Renderer::Kustomize => ("inputArtifacts", "kustomizeFilePath"),
    };
    let inputs: Vec<ArtifactChoice> = if key == "inputArtifact" {
        r.object(key, input).flatten().into_iter().collect()
    } else {
        r.objects(key, input).into_iter().flatten().collect()
    };
    if inputs.is_empty() && r.raw(key).is_none_or(|v| !v.is_string()) {
        r.fail(
            key,
            match renderer {
                Renderer::Helm => "Choose the chart to render (an expected artifact's id, or the artifact), then any values files.",
                Renderer::Kustomize => "Choose the repository that holds the kustomization (an expected artifact's id, or the artifact).",
            },
        );
    }
    let path = r.text(path_key).filter(|p| !p.trim().is_empty());
    if renderer == Renderer::Kustomize && path.is_none() {
        r.fail(
            path_key,
            "Give the kustomization's path in the repository (such as overlays/prod/kustomization.yaml).",
        );
    }
    let output_name = r
        .required_text(
            "outputName",
            "the name of the baked artifact (also Helm's release name)",
        )
        .unwrap_or_default();
    let namespace = r.text("namespace").filter(|n| !n.trim().is_empty());
    let overrides = r.text_map("overrides");
    let raw_overrides = r.flag("rawOverrides").unwrap_or(false);
    let include_crds = r.flag("includeCRDs").unwrap_or(false);
    let expected = match r.raw("expectedArtifacts") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    BakeManifest {
        renderer,
        inputs,
        path,
        output_name,
        namespace,
        overrides,
        raw_overrides,
        include_crds,
        expected,
    }
}

/// One input: `{id}`, else `{artifact}` (its account from `account` when it names none).
fn input(r: &mut Reader<'_>) -> Option<ArtifactChoice> {
    if let Some(id) = r.text("id").filter(|id| !id.is_empty()) {
        return Some(ArtifactChoice::Expected(id));
    }
    let account = r.text("account").filter(|a| !a.is_empty());
    match r
        .raw("artifact")
        .cloned()
        .map(serde_json::from_value::<Artifact>)
    {
        Some(Ok(mut artifact)) => {
            if artifact.artifact_account.is_none() {
                artifact.artifact_account = account;
            }
            Some(ArtifactChoice::Given(Box::new(artifact)))
        }
        Some(Err(e)) => {
            r.fail("artifact", format!("This is not an artifact: {e}"));
            None
        }
        None => {
            r.fail(
                "id",
                "Name the expected artifact (id), or describe the artifact (artifact).",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_settings(settings: Value) -> (BakeManifest, String) {
        let mut errors = Vec::new();
        let Value::Object(object) = settings else {
            panic!("settings are an object")
        };
        let mut reader = Reader::new(&object, "stages[0]", false, &mut errors);
        let read = read(&mut reader);
        let messages = errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("\n");
        (read, messages)
    }

    #[test]
    fn a_helm_bake_reads_as_deck_writes_it() {
        let (bake, errors) = read_settings(
            json!({"templateRenderer": "HELM3", "outputName": "web",
            "namespace": "prod", "helmChartFilePath": "charts/web/Chart.yaml",
            "inputArtifacts": [{"account": "git-repo", "id": "chart"},
                {"account": "embedded-artifact", "artifact": {"type": "embedded/base64", "reference": "cmVwbGljYXM6IDI="}}],
            "overrides": {"image.tag": "1.2", "replicas": 3}, "rawOverrides": true, "includeCRDs": true,
            "expectedArtifacts": [{"id": "baked", "matchArtifact": {"type": "embedded/base64", "name": "web"}}]}),
        );
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(bake.renderer, Renderer::Helm);
        assert_eq!(bake.inputs[0], ArtifactChoice::Expected("chart".into()));
        assert!(
            matches!(&bake.inputs[1], ArtifactChoice::Given(a) if a.artifact_account.as_deref() == Some("embedded-artifact"))
        );
        assert_eq!(bake.path.as_deref(), Some("charts/web/Chart.yaml"));
        assert_eq!(
            bake.overrides,
            vec![
                ("image.tag".to_string(), "1.2".to_string()),
                ("replicas".to_string(), "3".to_string())
            ]
        );
        assert!(bake.raw_overrides && bake.include_crds);
        assert_eq!(bake.expected.len(), 1);
    }

    #[test]
    fn a_kustomize_bake_needs_its_repository_and_path() {
        let (bake, errors) = read_settings(
            json!({"templateRenderer": "KUSTOMIZE4", "outputName": "web",
            "inputArtifact": {"id": "repo"}, "kustomizeFilePath": "overlays/prod/kustomization.yaml"}),
        );
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(bake.renderer, Renderer::Kustomize);
        assert_eq!(bake.inputs, vec![ArtifactChoice::Expected("repo".into())]);
        let (_, errors) =
            read_settings(json!({"templateRenderer": "KUSTOMIZE", "outputName": "web"}));
        assert!(
            errors.contains("stages[0].inputArtifacts: Choose the repository"),
            "{errors}"
        );
        assert!(
            errors.contains("stages[0].kustomizeFilePath: Give the kustomization's path"),
            "{errors}"
        );
        let (_, errors) = read_settings(json!({"templateRenderer": "CUE", "outputName": "web"}));
        assert!(errors.contains("\"CUE\" is not a renderer"), "{errors}");
    }
}
