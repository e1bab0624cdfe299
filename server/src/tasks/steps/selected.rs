//! The steps of a manifest stage whose objects are found when it runs (Deck's `mode: dynamic`
//! and `mode: label`): one step finds them and records their names as Spinnaker's
//! `outputs.manifestNamesByNamespace`, changing nothing; the steps after it act on what was
//! recorded, so a step run again after a restart acts on the same objects (the "newest" is not
//! chosen again once the first one is deleted).

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{
    Candidate, ManifestRef, ManifestSelector, Outputs, SelectedAct, selector_query,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::{Map, Value, json};

use super::executor::{Executor, StepResult, api_error};
use crate::kubernetes::moniker::{application_of, moniker_of};
use crate::tasks::outcome::{Outcome, StepError};

/// Spinnaker's output naming the objects a manifest stage acted on, by namespace.
pub const SELECTED_OUTPUT: &str = "outputs.manifestNamesByNamespace";

/// The most objects one selection may act on (README, Limits).
pub const MOST_SELECTED: usize = 500;

/// How many names a step's message lists before "and N more".
const NAMES_SHOWN: usize = 10;

/// Whether `meta` is in Spinnaker's cluster `wanted` ("replicaSet web" or "web") of objects of
/// `kind`: the cluster's name must be the object's (its `moniker.spinnaker.io/cluster`, or its
/// name without `-vNNN`), and a kind, when both say one, the same.
fn in_cluster(meta: &ObjectMeta, wanted: &str) -> bool {
    let Some(named) = moniker_of(meta) else {
        return false;
    };
    let split = |text: &str| -> (Option<String>, String) {
        match text.trim().split_once(char::is_whitespace) {
            Some((kind, name)) => (Some(kind.to_ascii_lowercase()), name.trim().to_string()),
            None => (None, text.trim().to_string()),
        }
    };
    let (wanted_kind, wanted_name) = split(wanted);
    let (their_kind, their_name) = split(&named.cluster);
    let kinds_agree = match (wanted_kind, their_kind) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    kinds_agree && wanted_name == their_name
}

fn shown(names: &[String]) -> String {
    let mut text = names
        .iter()
        .take(NAMES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMES_SHOWN {
        text.push_str(&format!(" and {} more", names.len() - NAMES_SHOWN));
    }
    text
}

impl Executor<'_> {
    /// The API of `kind` objects in `namespace` (all of them for a kind without namespaces).
    async fn api_of_kind(
        &self,
        account: &str,
        namespace: &str,
        kind: &str,
    ) -> Result<Api<DynamicObject>, StepError> {
        self.dynamic(&ManifestRef {
            account: account.to_string(),
            namespace: namespace.to_string(),
            kind: kind.to_string(),
            name: String::new(),
        })
        .await
    }

    /// Finds the selector's objects now and records them.
    pub(in crate::tasks) async fn select_manifests(
        &self,
        account: &str,
        namespace: &str,
        selector: &ManifestSelector,
    ) -> StepResult {
        let names: Vec<String> = match selector {
            ManifestSelector::Dynamic {
                application,
                cluster,
                kind,
                criteria,
            } => {
                let application = application.as_deref().unwrap_or(&self.task.application);
                let api = self.api_of_kind(account, namespace, kind).await?;
                let listed = api
                    .list(&ListParams::default())
                    .await
                    .map_err(api_error(format!("listing {kind} objects")))?;
                let candidates: Vec<Candidate> = listed
                    .items
                    .iter()
                    .filter(|o| application_of(&o.metadata).as_deref() == Some(application))
                    .filter(|o| in_cluster(&o.metadata, cluster))
                    .map(|o| Candidate {
                        name: o.metadata.name.clone().unwrap_or_default(),
                        created: o
                            .metadata
                            .creation_timestamp
                            .as_ref()
                            .map(|t| t.0.to_string())
                            .unwrap_or_default(),
                        replicas: o.data["spec"]["replicas"].as_i64().unwrap_or(0),
                    })
                    .collect();
                let Some(chosen) = criteria.choose(&candidates) else {
                    return Err(StepError::refused(if candidates.is_empty() {
                        format!(
                            "no {kind} of cluster {cluster} of application {application} is in {account}/{namespace} (objects belong to an application by their moniker.spinnaker.io/application annotation or app.kubernetes.io/name label)"
                        )
                    } else {
                        format!(
                            "cluster {cluster} has only {} {kind}, so there is no {} one",
                            candidates.len(),
                            criteria.describe().trim_start_matches("the ")
                        )
                    }));
                };
                vec![format!("{kind} {}", chosen.name)]
            }
            ManifestSelector::Label { kinds, selectors } => {
                let query = selector_query(selectors);
                let mut names = Vec::new();
                for kind in kinds {
                    let api = self.api_of_kind(account, namespace, kind).await?;
                    let listed = api
                        .list(&ListParams::default().labels(&query))
                        .await
                        .map_err(api_error(format!(
                            "listing {kind} objects labelled {query}"
                        )))?;
                    names.extend(
                        listed
                            .items
                            .iter()
                            .filter_map(|o| o.metadata.name.as_ref())
                            .map(|name| format!("{kind} {name}")),
                    );
                    if names.len() > MOST_SELECTED {
                        return Err(StepError::refused(format!(
                            "more than {MOST_SELECTED} objects are labelled {query}: a stage acts on at most {MOST_SELECTED}; narrow the selectors"
                        )));
                    }
                }
                names
            }
        };
        let mut outputs = Outputs::new();
        let mut by_namespace = Map::new();
        by_namespace.insert(namespace.to_string(), json!(names));
        outputs.insert(SELECTED_OUTPUT.into(), Value::Object(by_namespace));
        if let [one] = names.as_slice() {
            outputs.insert("manifestName".into(), json!(one));
        }
        let message = if names.is_empty() {
            format!("nothing matches {}", selector.describe())
        } else {
            format!("found {}", shown(&names))
        };
        Ok(Outcome::Done { message, outputs })
    }

    /// What an earlier step of this task selected in `namespace`.
    fn selected(&self, account: &str, namespace: &str) -> Result<Vec<ManifestRef>, StepError> {
        let names = self
            .task
            .outputs
            .get(SELECTED_OUTPUT)
            .and_then(|n| n.get(namespace))
            .and_then(Value::as_array)
            .ok_or_else(|| StepError::refused("no earlier step found the objects to act on"))?;
        Ok(names
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|n| n.split_once(' '))
            .map(|(kind, name)| ManifestRef {
                account: account.to_string(),
                namespace: namespace.to_string(),
                kind: kind.to_string(),
                name: name.to_string(),
            })
            .collect())
    }

    /// The one Deployment an Undo Rollout selected.
    fn selected_deployment(&self, account: &str, namespace: &str) -> Result<ObjectRef, StepError> {
        match self.selected(account, namespace)?.as_slice() {
            [one] => Ok(ObjectRef {
                account: one.account.clone(),
                namespace: one.namespace.clone(),
                name: one.name.clone(),
            }),
            other => Err(StepError::refused(format!(
                "Undo Rollout rolls back one Deployment, and {} were found",
                other.len()
            ))),
        }
    }

    /// Acts on each selected object.
    pub(in crate::tasks) async fn for_selected(
        &self,
        account: &str,
        namespace: &str,
        act: &SelectedAct,
    ) -> StepResult {
        /// What is done to each object, one after the other.
        enum Each<'a> {
            Delete,
            Scale(i64),
            Restart(&'a str),
        }
        let each = match act {
            SelectedAct::ChooseRevision { revisions_back } => {
                let deployment = self.selected_deployment(account, namespace)?;
                return self.choose_revision(&deployment, *revisions_back).await;
            }
            SelectedAct::UndoChosen => {
                let deployment = self.selected_deployment(account, namespace)?;
                return self.undo_rollout_chosen(&deployment).await;
            }
            SelectedAct::WaitStable => {
                let objects = self.selected(account, namespace)?;
                return self.wait_for_manifests(account, namespace, &objects).await;
            }
            SelectedAct::Delete => Each::Delete,
            SelectedAct::Scale { replicas } => Each::Scale(*replicas),
            SelectedAct::RollingRestart { restarted_at } => Each::Restart(restarted_at),
        };
        let objects = self.selected(account, namespace)?;
        let mut messages = Vec::new();
        for object in &objects {
            let outcome = match each {
                Each::Delete => self.delete(object).await?,
                Each::Scale(replicas) => self.scale(object, replicas).await?,
                Each::Restart(restarted_at) => self.rolling_restart(object, restarted_at).await?,
            };
            match outcome {
                Outcome::Done { message, .. } => messages.push(message),
                other => return Ok(other),
            }
            self.progress.report(shown(&messages)).await;
        }
        Ok(Outcome::done(if messages.is_empty() {
            "nothing was selected, so nothing changed".to_string()
        } else {
            shown(&messages)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(name: &str, annotations: &[(&str, &str)]) -> ObjectMeta {
        let mut labels = BTreeMap::new();
        labels.insert("app.kubernetes.io/name".to_string(), "web".to_string());
        ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn a_cluster_is_named_with_or_without_its_kind() {
        let versioned = meta("web-main-v003", &[]);
        assert!(in_cluster(&versioned, "web-main"));
        assert!(in_cluster(&versioned, "replicaSet web-main"));
        assert!(!in_cluster(&versioned, "web"));
        let annotated = meta(
            "web-5d8f",
            &[("moniker.spinnaker.io/cluster", "deployment web")],
        );
        assert!(in_cluster(&annotated, "deployment web"));
        assert!(in_cluster(&annotated, "web"));
        assert!(
            !in_cluster(&annotated, "replicaSet web"),
            "the kinds differ"
        );
    }

    #[test]
    fn long_lists_are_cut_in_messages() {
        let names: Vec<String> = (0..12).map(|i| format!("configMap c{i}")).collect();
        let text = shown(&names);
        assert!(text.ends_with("configMap c9 and 2 more"), "{text}");
    }
}
