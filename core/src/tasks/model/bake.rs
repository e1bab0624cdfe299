//! Bake (Manifest), Spinnaker's Rosco for Kubernetes: a Helm chart or a kustomization rendered
//! into manifests by the real tool, run as a child process, the result an `embedded/base64`
//! artifact that later stages (a Deploy (Manifest)) use.

use serde::{Deserialize, Serialize};

use crate::pipelines::artifacts::Artifact;

/// `templateRenderer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Renderer {
    /// `HELM3` (and `HELM2`, rendered as Helm 3 does).
    Helm,
    /// `KUSTOMIZE` (and `KUSTOMIZE4`).
    Kustomize,
}

impl Renderer {
    pub fn parse(text: &str) -> Option<Renderer> {
        match text.trim().to_ascii_uppercase().as_str() {
            "HELM3" | "HELM2" => Some(Renderer::Helm),
            "KUSTOMIZE" | "KUSTOMIZE4" => Some(Renderer::Kustomize),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Renderer::Helm => "Helm",
            Renderer::Kustomize => "kustomize",
        }
    }
}

/// What one bake renders, with its input artifacts bound when the stage started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bake {
    pub renderer: Renderer,
    /// Helm: the chart (a `git/repo`, or a packaged chart), then values files. Kustomize: the
    /// repository holding the kustomization.
    pub inputs: Vec<Artifact>,
    /// Where in a repository the chart (`helmChartFilePath`) or the kustomization
    /// (`kustomizeFilePath`) is: its file or its directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `outputName`: Helm's release name, and the baked artifact's name.
    pub output_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `overrides`, in order.
    #[serde(default)]
    pub overrides: Vec<(String, String)>,
    /// `rawOverrides`: values typed as Helm reads them (`--set`), not all as text
    /// (`--set-string`).
    #[serde(default)]
    pub raw_overrides: bool,
    #[serde(default)]
    pub include_crds: bool,
    /// The stage's `expectedArtifacts`, bound to the baked artifact that matches each.
    #[serde(default)]
    pub expected: Vec<serde_json::Value>,
}
