//! Deploy (Manifest): applies the stage's objects server-side, then waits until they are stable.

use gennaker_core::pipelines::stages::DeployManifest;
use gennaker_core::tasks::model::{ManifestRef, Step, StepAction};
use serde_json::{Value, json};

use super::{PlanError, Planning};
use crate::kubernetes::manifests;

/// Apply, then wait.
pub fn plan(p: &Planning, deploy: DeployManifest) -> Result<Vec<Step>, PlanError> {
    let Planning { kubernetes, .. } = *p;
    let namespace = deploy
        .namespace_override
        .clone()
        .unwrap_or_else(|| "default".to_string());
    kubernetes
        .connection_for(&deploy.account, &namespace)
        .map_err(|e| e.to_string())?;
    let text = serde_json::to_string(&deploy.manifests).map_err(|e| e.to_string())?;
    let documents = manifests::parse_documents(&text)
        .or_else(|_| {
            // A list of objects is one JSON document; each item is checked on its own.
            let mut all = Vec::new();
            for item in &deploy.manifests {
                all.extend(manifests::parse_documents(&item.to_string())?);
            }
            Ok::<_, crate::kubernetes::Error>(all)
        })
        .map_err(|e| e.to_string())?;
    let documents: Vec<Value> = documents
        .into_iter()
        .map(|mut d| {
            if let Some(ns) = &deploy.namespace_override {
                d["metadata"]["namespace"] = json!(ns);
            }
            d
        })
        .collect();
    let objects = documents
        .iter()
        .map(|d| {
            let (name, ns) = manifests::identity(d);
            ManifestRef {
                account: deploy.account.clone(),
                namespace: ns.unwrap_or_else(|| namespace.clone()),
                kind: d["kind"].as_str().unwrap_or_default().to_string(),
                name,
            }
        })
        .collect();
    Ok(vec![
        Step::new(
            format!(
                "Apply {} object(s) (server-side, field manager gennaker)",
                documents.len()
            ),
            StepAction::Apply {
                account: deploy.account.clone(),
                namespace: namespace.clone(),
                documents,
            },
        ),
        Step::new(
            "Wait for the objects to be stable",
            StepAction::WaitForManifests {
                account: deploy.account,
                namespace,
                objects,
            },
        ),
    ])
}
