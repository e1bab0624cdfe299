//! Run Job (Manifest): one Job from its manifest, the container whose log gives outputs, whether the
//! Job is deleted once it has ended.

use serde_json::Value;

use super::targets::account;
use crate::pipelines::reader::Reader;

/// Run Job (Manifest): one Job from its manifest (`manifest`, or a `manifests` list of one).
#[derive(Debug, Clone, PartialEq)]
pub struct RunJob {
    pub account: String,
    /// The Job, as written (a YAML text is read when the stage runs).
    pub manifest: Value,
    /// The container whose log holds the output properties (Spinnaker's `propertyFile`).
    pub property_container: Option<String>,
    /// Gennaker's `deleteJob`: delete the Job (and its Pods) once its outcome and logs are kept.
    pub delete_job: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> RunJob {
    let account = account(r);
    if let Some(source) = r.text("source").filter(|s| !s.is_empty() && s != "text") {
        r.fail(
            "source",
            format!(
                "Gennaker runs the Job written in the stage (source \"text\"), not from {source:?}; an earlier stage's output can go in the manifest as an expression."
            ),
        );
    }
    let key = if r.raw("manifest").is_some() {
        "manifest"
    } else {
        "manifests"
    };
    r.expressions_in(key);
    let manifest = match r.raw(key) {
        Some(Value::Array(items)) if items.len() == 1 => items[0].clone(),
        Some(Value::Array(items)) if items.len() > 1 => {
            r.fail(
                key,
                format!(
                    "Run Job runs one Job; these manifests have {} objects.",
                    items.len()
                ),
            );
            Value::Null
        }
        Some(value @ (Value::Object(_) | Value::String(_))) => value.clone(),
        _ => {
            r.fail(key, "Give the Job's manifest, as YAML or JSON.");
            Value::Null
        }
    };
    if let Some(kind) = manifest.get("kind").and_then(Value::as_str)
        && kind != "Job"
        && !kind.contains("${")
    {
        r.fail(key, format!("Run Job runs a Kubernetes Job, not a {kind}."));
    }
    RunJob {
        account,
        manifest,
        property_container: r.text("propertyFile").filter(|c| !c.is_empty()),
        delete_job: r.flag("deleteJob").unwrap_or(false),
    }
}
