//! What the pipeline service takes and gives besides configurations and executions: a stored
//! configuration with its version, a start request, a judgment, a filter for executions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::execution::ExecutionStatus;
use super::model::PipelineConfig;
use crate::time::Timestamp;

/// A pipeline configuration as stored: the config and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPipeline {
    pub config: PipelineConfig,
    /// Increases with every save; a save names the version it was based on.
    pub version: u64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
    /// What keeps it from running on this server now, by path (an imported pipeline's
    /// accounts that are not configured here, say); made when it is read, never stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::error::FieldError>,
}

/// One saved version of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineVersion {
    pub version: u64,
    pub updated_at: Timestamp,
    pub updated_by: String,
    /// This version is the pipeline's deletion.
    pub deleted: bool,
    pub config: PipelineConfig,
}

/// "Start Manual Execution": the parameters (missing ones take their defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Artifacts given with the start, in Spinnaker's JSON (`{"type", "name", "reference",
    /// ...}`), matched to the pipeline's `expectedArtifacts` like a trigger's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Value>,
}

/// A Manual Judgment's decision, as Deck sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Judgment {
    /// `continue` or `stop`.
    pub judgment_status: String,
    /// The option chosen, when the stage offers options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgment_input: Option<String>,
}

/// Which executions to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionFilter {
    pub application: Option<String>,
    /// A pipeline config id.
    pub pipeline: Option<String>,
    /// Only these statuses (any, when empty).
    #[serde(default)]
    pub statuses: Vec<ExecutionStatus>,
    /// The newest this many (per pipeline when `per_pipeline`).
    pub limit: usize,
    /// `limit` counts per pipeline, as the Pipelines tab shows a few of each.
    #[serde(default)]
    pub per_pipeline: bool,
}
