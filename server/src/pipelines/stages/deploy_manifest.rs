//! Deploy (Manifest): applies the stage's objects server-side, then waits until they are stable.
//! Written manifests are checked and planned now; an artifact's are read, evaluated and bound
//! by the step that applies them (see `tasks::steps::artifact`), with the artifacts chosen now.
//! With `trafficManagement`, the ReplicaSet is applied as its cluster's next version (see
//! `tasks::steps::versioned`) and Red/Black or Highlander acts on the others after the wait.

use gennaker_core::pipelines::stages::{DeployManifest, ManifestSource};
use gennaker_core::tasks::model::{ManifestRef, Step, StepAction, TrafficStrategy};
use serde_json::{Value, json};

use super::{PlanError, Planning, artifacts};
use crate::kubernetes::manifests;

/// Apply, then wait.
pub fn plan(p: &Planning, deploy: DeployManifest) -> Result<Vec<Step>, PlanError> {
    let Planning {
        kubernetes,
        execution,
        stage,
        ..
    } = *p;
    let namespace = deploy
        .namespace_override
        .clone()
        .unwrap_or_else(|| "default".to_string());
    kubernetes
        .connection_for(&deploy.account, &namespace)
        .map_err(|e| e.to_string())?;
    let written = match deploy.source {
        ManifestSource::Text(written) => written,
        ManifestSource::Artifact {
            artifact,
            evaluate_expressions,
        } => {
            let artifact = artifacts::resolve(execution, stage, &artifact)?;
            let required = deploy
                .required
                .iter()
                .map(|choice| artifacts::resolve(execution, stage, choice))
                .collect::<Result<Vec<_>, _>>()?;
            let label = format!(
                "Read the manifests of {} and apply them (server-side, field manager gennaker)",
                artifact.describe()
            );
            let strategy = deploy.traffic.as_ref().map(|t| t.strategy);
            let mut steps = vec![
                Step::new(
                    label,
                    StepAction::ApplyArtifact {
                        account: deploy.account.clone(),
                        namespace: namespace.clone(),
                        namespace_override: deploy.namespace_override,
                        artifact,
                        evaluate_expressions,
                        required,
                        optional: artifacts::available(execution, stage),
                        traffic: deploy.traffic,
                    },
                ),
                Step::new(
                    "Wait for the objects to be stable",
                    StepAction::WaitForApplied {
                        account: deploy.account.clone(),
                        namespace,
                    },
                ),
            ];
            steps.extend(strategy_step(&deploy.account, strategy));
            return Ok(steps);
        }
    };
    let text = serde_json::to_string(&written).map_err(|e| e.to_string())?;
    let documents = manifests::parse_documents(&text)
        .or_else(|_| {
            // A list of objects is one JSON document; each item is checked on its own.
            let mut all = Vec::new();
            for item in &written {
                all.extend(manifests::parse_documents(&item.to_string())?);
            }
            Ok::<_, crate::kubernetes::Error>(all)
        })
        .map_err(|e| e.to_string())?;
    let mut documents: Vec<Value> = documents
        .into_iter()
        .map(|mut d| {
            if let Some(ns) = &deploy.namespace_override {
                d["metadata"]["namespace"] = json!(ns);
            }
            manifests::add_moniker(&mut d, &execution.application);
            d
        })
        .collect();
    // As from an artifact: the execution's artifacts bind where they fit, the required ones
    // must.
    let required = deploy
        .required
        .iter()
        .map(|choice| artifacts::resolve(execution, stage, choice))
        .collect::<Result<Vec<_>, _>>()?;
    gennaker_core::pipelines::artifacts::bind_required(
        &mut documents,
        &required,
        &artifacts::available(execution, stage),
    )?;
    if let Some(traffic) = deploy.traffic {
        let strategy = traffic.strategy;
        let mut steps = vec![
            Step::new(
                format!(
                    "Apply {} object(s), the ReplicaSet as its cluster's next version behind {} (server-side, field manager gennaker)",
                    documents.len(),
                    traffic.services.join(", ")
                ),
                StepAction::ApplyVersioned {
                    account: deploy.account.clone(),
                    namespace: namespace.clone(),
                    documents,
                    traffic,
                },
            ),
            Step::new(
                "Wait for the objects to be stable",
                StepAction::WaitForApplied {
                    account: deploy.account.clone(),
                    namespace,
                },
            ),
        ];
        steps.extend(strategy_step(&deploy.account, Some(strategy)));
        return Ok(steps);
    }
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

/// Red/Black's or Highlander's step on the cluster's other versions, once the new one is
/// stable.
fn strategy_step(account: &str, strategy: Option<TrafficStrategy>) -> Option<Step> {
    let label = match strategy? {
        TrafficStrategy::None => return None,
        TrafficStrategy::RedBlack => "Red/Black: disable the cluster's other versions",
        TrafficStrategy::Highlander => "Highlander: destroy the cluster's other versions",
    };
    Some(Step::new(
        label,
        StepAction::ManifestStrategy {
            account: account.to_string(),
            strategy: strategy?,
        },
    ))
}
