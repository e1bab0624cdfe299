//! Reading what people bring from Spinnaker: one pipeline as Deck exports it, Deck's "Edit as
//! JSON" copy (no `application`, no `name`), or a whole `GET
//! /applications/{app}/pipelineConfigs` array (a common backup). An import never refuses what can
//! be fixed later: it fills what is missing, maps account names to configured ones, and keeps
//! the rest as it is; the server then marks each part it cannot run yet.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::PipelineConfig;
use super::requests::StoredPipeline;
use crate::error::FieldError;

/// The name an imported pipeline without one gets.
pub const UNNAMED: &str = "Imported pipeline";
/// The most pipelines one import takes (a backup of one application is far fewer).
pub const MAX_PIPELINES: usize = 500;

/// The stage fields that name a Kubernetes account (Deck's Deploy stages write `account`, the
/// cluster stages and preconditions `credentials`).
const ACCOUNT_FIELDS: [&str; 2] = ["account", "credentials"];

/// Fields holding artifacts: an `account` in them is an artifact account (Bake (Manifest)'s
/// `inputArtifacts: [{"account": "git-repo", "id": ...}]`), never a Kubernetes one.
const ARTIFACT_FIELDS: [&str; 5] = [
    "inputArtifacts",
    "inputArtifact",
    "expectedArtifacts",
    "requiredArtifacts",
    "manifestArtifact",
];

/// What one import asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    /// The application the pipelines join; empty: each keeps its own `application`.
    #[serde(default)]
    pub application: String,
    /// Account names as the pipelines write them → the configured account to use instead.
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    /// Only report what the import would do; nothing is stored.
    #[serde(default)]
    pub dry_run: bool,
}

/// What became of one pipeline of an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedPipeline {
    /// Its place in the input (0 for a single pipeline).
    pub index: usize,
    pub id: String,
    pub name: String,
    pub application: String,
    /// What the import changed, by path ("name: was missing; named Imported pipeline").
    pub changes: Vec<FieldError>,
    /// What cannot run until it is fixed, by path; the pipeline is kept all the same.
    pub problems: Vec<FieldError>,
    /// Whether it was stored (false in a dry run, or when it could not be read at all).
    pub stored: bool,
    /// Why it could not be read at all, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// The report of an import, for the dialog and the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub pipelines: Vec<ImportedPipeline>,
    /// Account names the pipelines use that are not configured here (after the mapping).
    pub unknown_accounts: Vec<String>,
    /// The configured Kubernetes accounts, to map the unknown ones to.
    pub known_accounts: Vec<String>,
}

/// What an import did: the report for whoever asked, and the pipelines it stored (for the
/// audit, which records each as created).
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub report: ImportReport,
    pub created: Vec<StoredPipeline>,
}

/// The pipelines of `text`: one object, or an array of them.
pub fn read(text: &str) -> Result<Vec<Value>, FieldError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        FieldError::new(
            "json",
            format!("Line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    split(value)
}

/// One object is one pipeline; an array is many (a `pipelineConfigs` backup).
pub fn split(value: Value) -> Result<Vec<Value>, FieldError> {
    match value {
        Value::Object(_) => Ok(vec![value]),
        Value::Array(items) if items.is_empty() => Err(FieldError::new(
            "json",
            "The array has no pipelines: paste a pipeline, or the array GET /applications/{app}/pipelineConfigs answers.",
        )),
        Value::Array(items) if items.len() > MAX_PIPELINES => Err(FieldError::new(
            "json",
            format!(
                "The array has {} pipelines; import at most {MAX_PIPELINES} at once.",
                items.len()
            ),
        )),
        Value::Array(items) => Ok(items),
        _ => Err(FieldError::new(
            "json",
            "A pipeline is a JSON object ({\"name\": ..., \"stages\": [...]}), or an array of them.",
        )),
    }
}

/// One pipeline made ready to store: its configuration and what was changed to make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub config: PipelineConfig,
    pub changes: Vec<FieldError>,
}

/// Fills what `value` is missing (`application` from the options, `name`), renames accounts as
/// `options.accounts` says, and reads it as a pipeline. `Err`: it is not a pipeline at all
/// (`stages` is not a list, say), with the reason.
pub fn prepare(mut value: Value, options: &ImportOptions) -> Result<Prepared, String> {
    let Some(object) = value.as_object_mut() else {
        return Err("not a JSON object".into());
    };
    let mut changes = Vec::new();
    let text = |object: &Map<String, Value>, key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let own_application = text(object, "application");
    if !options.application.is_empty() {
        match &own_application {
            Some(own) if *own != options.application => changes.push(FieldError::new(
                "application",
                format!("was {own}; joins {}", options.application),
            )),
            Some(_) => {}
            None => changes.push(FieldError::new(
                "application",
                format!("was missing; joins {}", options.application),
            )),
        }
        object.insert(
            "application".into(),
            Value::from(options.application.clone()),
        );
    } else if own_application.is_none() {
        return Err(
            "it names no application: import it from an application's Pipelines tab, or give ?application=".into(),
        );
    }
    if text(object, "name").is_none() {
        changes.push(FieldError::new(
            "name",
            format!("was missing; named {UNNAMED:?}"),
        ));
        object.insert("name".into(), Value::from(UNNAMED));
    }
    if let Some(Value::Array(stages)) = object.get_mut("stages") {
        for (i, stage) in stages.iter_mut().enumerate() {
            rename_accounts(
                stage,
                &format!("stages[{i}]"),
                &options.accounts,
                &mut changes,
            );
        }
    }
    let config: PipelineConfig =
        serde_json::from_value(value).map_err(|e| format!("it is not a pipeline: {e}"))?;
    Ok(Prepared { config, changes })
}

/// Renames the accounts `stage` (or any object inside it) names, as `map` says.
fn rename_accounts(
    stage: &mut Value,
    path: &str,
    map: &BTreeMap<String, String>,
    changes: &mut Vec<FieldError>,
) {
    if map.is_empty() {
        return;
    }
    // Iterative: a stage is user input, and its depth is not bounded by anything else.
    let mut pending = vec![(stage, path.to_string())];
    while let Some((value, path)) = pending.pop() {
        match value {
            Value::Object(object) => {
                for (key, value) in object.iter_mut() {
                    if ACCOUNT_FIELDS.contains(&key.as_str())
                        && let Some(to) = value.as_str().and_then(|name| map.get(name))
                    {
                        let from = value.as_str().unwrap_or_default().to_string();
                        changes.push(FieldError::new(
                            &format!("{path}.{key}"),
                            format!("account {from} is {to} here"),
                        ));
                        *value = Value::from(to.clone());
                    } else if (value.is_object() || value.is_array())
                        && !ARTIFACT_FIELDS.contains(&key.as_str())
                    {
                        pending.push((value, format!("{path}.{key}")));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    pending.push((item, format!("{path}[{i}]")));
                }
            }
            _ => {}
        }
    }
}

/// The account names the stages of `config` write (`account`, `credentials`; not expressions).
pub fn accounts_named(config: &PipelineConfig) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending: Vec<&Value> = Vec::new();
    let settings: Vec<Value> = config
        .stages
        .iter()
        .map(|s| Value::Object(s.settings.clone()))
        .collect();
    pending.extend(settings.iter());
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    match value.as_str() {
                        Some(name)
                            if ACCOUNT_FIELDS.contains(&key.as_str())
                                && !name.is_empty()
                                && !name.contains("${") =>
                        {
                            found.insert(name.to_string());
                        }
                        _ if ARTIFACT_FIELDS.contains(&key.as_str()) => {}
                        _ => pending.push(value),
                    }
                }
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    found
}

/// `name`, or the first of `name (imported)`, `name (imported 2)`, ... that `taken` does not
/// hold.
pub fn free_name(name: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_string();
    }
    (1..)
        .map(|n| match n {
            1 => format!("{name} (imported)"),
            n => format!("{name} (imported {n})"),
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn options(application: &str) -> ImportOptions {
        ImportOptions {
            application: application.into(),
            ..ImportOptions::default()
        }
    }

    #[test]
    fn an_object_is_one_pipeline_and_an_array_many() {
        assert_eq!(read(r#"{"name": "a"}"#).unwrap().len(), 1);
        assert_eq!(read(r#"[{"name": "a"}, {"name": "b"}]"#).unwrap().len(), 2);
        assert_eq!(read("[]").unwrap_err().field, "json");
        assert!(read("42").unwrap_err().message.contains("JSON object"));
        assert!(
            read("{")
                .unwrap_err()
                .message
                .starts_with("Line 1, column 1")
        );
    }

    #[test]
    fn an_edit_as_json_copy_gets_its_application_and_a_name() {
        let copy = json!({"stages": [{"refId": "1", "type": "wait", "waitTime": 5}], "keepWaitingPipelines": false});
        let prepared = prepare(copy, &options("web")).unwrap();
        assert_eq!(prepared.config.application, "web");
        assert_eq!(prepared.config.name, UNNAMED);
        assert_eq!(
            prepared
                .changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            ["application", "name"]
        );
        assert_eq!(prepared.config.keep_waiting_pipelines, Some(false));
        let elsewhere =
            prepare(json!({"application": "old", "name": "x"}), &options("web")).unwrap();
        assert_eq!(elsewhere.changes[0].message, "was old; joins web");
        assert!(prepare(json!({"name": "x"}), &options("")).is_err());
        assert!(
            prepare(
                json!({"application": "web", "name": "x", "stages": 3}),
                &options("")
            )
            .unwrap_err()
            .starts_with("it is not a pipeline")
        );
    }

    #[test]
    fn accounts_are_renamed_wherever_a_stage_names_them() {
        let pipeline = json!({"application": "web", "name": "Deploy", "stages": [
            {"refId": "1", "type": "deploy", "clusters": [{"account": "gke_p_z_prod", "application": "web"}]},
            {"refId": "2", "type": "resizeServerGroup", "credentials": "gke_p_z_prod"},
            {"refId": "3", "type": "deployManifest", "account": "${parameters.account}"},
            {"refId": "4", "type": "bakeManifest", "inputArtifacts": [{"account": "git-repo", "id": "chart"}]},
        ]});
        let plain = prepare(pipeline.clone(), &options("")).unwrap();
        assert_eq!(
            accounts_named(&plain.config)
                .into_iter()
                .collect::<Vec<_>>(),
            ["gke_p_z_prod"]
        );
        let mapped = prepare(
            pipeline,
            &ImportOptions {
                accounts: BTreeMap::from([("gke_p_z_prod".into(), "local".into())]),
                ..options("")
            },
        )
        .unwrap();
        assert_eq!(
            mapped.config.stages[0].settings["clusters"][0]["account"],
            json!("local")
        );
        assert_eq!(
            mapped.config.stages[1].settings["credentials"],
            json!("local")
        );
        assert_eq!(
            mapped.config.stages[3].settings["inputArtifacts"][0]["account"],
            json!("git-repo"),
            "an artifact's account is not a Kubernetes account"
        );
        assert_eq!(
            mapped
                .changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<BTreeSet<_>>(),
            BTreeSet::from(["stages[0].clusters[0].account", "stages[1].credentials"])
        );
        assert_eq!(
            accounts_named(&mapped.config),
            BTreeSet::from(["local".to_string()])
        );
    }

    #[test]
    fn a_taken_name_gets_imported_added() {
        let taken = BTreeSet::from(["Deploy".to_string(), "Deploy (imported)".to_string()]);
        assert_eq!(free_name("Build", &taken), "Build");
        assert_eq!(free_name("Deploy", &taken), "Deploy (imported 2)");
    }
}
