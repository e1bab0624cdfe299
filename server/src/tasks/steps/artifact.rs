//! Deploy (Manifest) from an artifact: the manifests are read from the artifact when the step
//! runs (a read changes nothing, so reading again after a crash is harmless), evaluated
//! against the stage unless `skipExpressionEvaluation`, bound with the execution's artifacts,
//! and applied server-side like written manifests; the wait that follows reads what was
//! applied from the step's outputs.

use gennaker_core::expressions;
use gennaker_core::pipelines::artifacts::{self, Artifact};
use gennaker_core::tasks::model::{ManifestRef, Origin, Outputs, TrafficManagement};
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult};
use super::versioned;
use crate::kubernetes::manifests;
use crate::tasks::outcome::{Outcome, StepError};

/// The step output holding the applied manifests (Spinnaker's name).
pub const MANIFESTS_OUTPUT: &str = "outputs.manifests";

/// What an `ApplyArtifact` step is told.
pub(in crate::tasks) struct FromArtifact<'s> {
    pub account: &'s str,
    pub namespace: &'s str,
    pub namespace_override: Option<&'s str>,
    pub artifact: &'s Artifact,
    pub evaluate_expressions: bool,
    pub required: &'s [Artifact],
    pub optional: &'s [Artifact],
    pub traffic: Option<&'s TrafficManagement>,
}

impl Executor<'_> {
    pub(in crate::tasks) async fn apply_artifact(&self, from: FromArtifact<'_>) -> StepResult {
        let what = from.artifact.describe();
        let text = self.artifacts.manifests(from.artifact).await?;
        let mut documents = manifests::parse_documents(&text)
            .map_err(|e| StepError::refused(format!("the manifests of {what}: {e}")))?;
        if from.evaluate_expressions {
            let root = match (&self.task.origin, self.children) {
                (
                    Origin::Stage {
                        execution,
                        stage_ref_id,
                    },
                    Some(children),
                ) => children.expression_root(*execution, stage_ref_id).await,
                _ => None,
            }
            .unwrap_or_else(|| json!({}));
            match expressions::evaluate_all(&Value::Array(documents), &root) {
                Ok(Value::Array(evaluated)) => documents = evaluated,
                Ok(_) => {
                    return Err(StepError::refused(
                        "the manifests did not stay a list of documents",
                    ));
                }
                Err(error) => {
                    return Err(StepError::refused(format!(
                        "an expression in the manifests of {what} could not be evaluated: {error}; fix it, or set skipExpressionEvaluation to apply the manifests as written"
                    )));
                }
            }
        }
        let bound = artifacts::bind_required(&mut documents, from.required, from.optional)
            .map_err(StepError::refused)?;
        for document in &mut documents {
            if let Some(namespace) = from.namespace_override {
                document["metadata"]["namespace"] = json!(namespace);
            }
            manifests::add_moniker(document, &self.task.application);
        }
        let outcome = self
            .apply_recorded(from.account, from.namespace, documents, from.traffic)
            .await?;
        Ok(match outcome {
            Outcome::Done { message, outputs } => Outcome::Done {
                message: format!("{message} (read from {what})"),
                outputs: {
                    let mut outputs = outputs;
                    outputs.insert("outputs.boundArtifacts".into(), json!(bound));
                    outputs
                },
            },
            other => other,
        })
    }

    /// Applies `documents` (the one ReplicaSet as its cluster's next version, with `traffic`)
    /// and records what was applied as Spinnaker's `outputs.manifests` and
    /// `outputs.manifestNamesByNamespace`, for the wait after it and for later stages.
    pub(in crate::tasks) async fn apply_recorded(
        &self,
        account: &str,
        namespace: &str,
        mut documents: Vec<Value>,
        traffic: Option<&TrafficManagement>,
    ) -> StepResult {
        versioned::refuse_unsupported(&documents)?;
        let mut outputs = match traffic {
            Some(traffic) => {
                self.version_replica_set(&mut documents, account, namespace, traffic)
                    .await?
            }
            None => Outputs::new(),
        };
        let message = match self.apply(account, namespace, &documents).await? {
            Outcome::Done { message, .. } => message,
            other => return Ok(other),
        };
        let mut by_namespace: Map<String, Value> = Map::new();
        for document in &documents {
            let (name, own) = manifests::identity(document);
            let namespace = own.unwrap_or_else(|| namespace.to_string());
            let kind = document["kind"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if let Value::Array(names) = by_namespace.entry(namespace).or_insert_with(|| json!([]))
            {
                names.push(json!(format!("{kind} {name}")));
            }
        }
        outputs.insert(MANIFESTS_OUTPUT.into(), Value::Array(documents));
        outputs.insert(
            "outputs.manifestNamesByNamespace".into(),
            Value::Object(by_namespace),
        );
        Ok(Outcome::Done { message, outputs })
    }

    /// Waits for what an earlier step applied from an artifact.
    pub(in crate::tasks) async fn wait_for_applied(
        &self,
        account: &str,
        namespace: &str,
    ) -> StepResult {
        let Some(Value::Array(documents)) = self.task.outputs.get(MANIFESTS_OUTPUT) else {
            return Err(StepError::refused(
                "no earlier step applied manifests to wait for",
            ));
        };
        let objects: Vec<ManifestRef> = documents
            .iter()
            .map(|document| {
                let (name, own) = manifests::identity(document);
                ManifestRef {
                    account: account.to_string(),
                    namespace: own.unwrap_or_else(|| namespace.to_string()),
                    kind: document["kind"].as_str().unwrap_or_default().to_string(),
                    name,
                }
            })
            .collect();
        self.wait_for_manifests(account, namespace, &objects).await
    }
}
