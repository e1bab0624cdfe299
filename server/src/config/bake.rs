//! `[bake]`: the tools Bake (Manifest) runs as child processes. Each is a path, or a name
//! looked up on `PATH` when the stage runs; a tool that is not there fails the stage saying so.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[bake]` as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBake {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    helm: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kubectl: Option<PathBuf>,
}

/// The renderers Bake (Manifest) runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BakeConfig {
    /// Helm 3 or 4, for `HELM3` (and `HELM2`).
    pub helm: PathBuf,
    /// kubectl, whose `kubectl kustomize` renders `KUSTOMIZE` (and `KUSTOMIZE4`).
    pub kubectl: PathBuf,
}

impl Default for BakeConfig {
    fn default() -> Self {
        BakeConfig {
            helm: PathBuf::from("helm"),
            kubectl: PathBuf::from("kubectl"),
        }
    }
}

pub(super) fn resolve_bake(raw: RawBake) -> BakeConfig {
    let defaults = BakeConfig::default();
    BakeConfig {
        helm: raw.helm.unwrap_or(defaults.helm),
        kubectl: raw.kubectl.unwrap_or(defaults.kubectl),
    }
}
