//! Deploy (Manifest) with `trafficManagement`: the one ReplicaSet of the manifests becomes the
//! next version of its cluster (`web-v003`, Spinnaker's versioning), attached to the Services
//! (`traffic.spinnaker.io/load-balancers`) and, with `enableTraffic`, given their selector
//! labels; then the strategy acts on the cluster's other versions with the Deploy stage's own
//! steps (Red/Black disables them, Highlander destroys them). The version is marked with the
//! task, so the step run again after a crash applies the same version instead of a second one.

use gennaker_core::infrastructure::names::{MAX_SEQUENCE, keys, server_group_name, split_version};
use gennaker_core::pipelines::stages::{UNSUPPORTED_ANNOTATIONS, is_replica_set};
use gennaker_core::tasks::model::{
    Outputs, SERVER_GROUP_OUTPUT, TrafficManagement, TrafficStrategy,
};
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde_json::{Map, Value, json};

use super::executor::{DEPLOYED_OUTPUT, Executor, StepResult, api_error};
use crate::kubernetes::manifests;
use crate::kubernetes::moniker::{load_balancers_annotation, moniker_of};
use crate::tasks::outcome::{Outcome, StepError};

/// The object at `path` under `value`, made when missing; a value there that is not an object
/// is refused, naming the path.
fn object_at<'v>(
    value: &'v mut Value,
    path: &[&str],
) -> Result<&'v mut Map<String, Value>, StepError> {
    let mut current = value;
    for (i, key) in path.iter().enumerate() {
        let Value::Object(map) = current else {
            return Err(StepError::refused(format!(
                "the ReplicaSet's {} is not an object",
                path[..i].join(".")
            )));
        };
        current = map.entry(key.to_string()).or_insert_with(|| json!({}));
        if current.is_null() {
            *current = json!({});
        }
    }
    match current {
        Value::Object(map) => Ok(map),
        _ => Err(StepError::refused(format!(
            "the ReplicaSet's {} is not an object",
            path.join(".")
        ))),
    }
}

/// Refuses manifests with Spinnaker annotations Gennaker does not act on yet.
pub(in crate::tasks) fn refuse_unsupported(documents: &[Value]) -> Result<(), StepError> {
    for document in documents {
        let annotations = document.pointer("/metadata/annotations");
        for (key, what) in UNSUPPORTED_ANNOTATIONS {
            if annotations.and_then(|a| a.get(key)).is_some() {
                let (name, _) = manifests::identity(document);
                return Err(StepError::refused(format!(
                    "{name} has the annotation {key} ({what}), which Gennaker does not support yet; remove it to deploy the manifest"
                )));
            }
        }
    }
    Ok(())
}

impl Executor<'_> {
    /// Names the one ReplicaSet of `documents` as its cluster's next version and attaches it
    /// to the Services; gives the outputs naming it (`serverGroup`, `deployedServerGroups`).
    pub(in crate::tasks) async fn version_replica_set(
        &self,
        documents: &mut [Value],
        account: &str,
        namespace: &str,
        traffic: &TrafficManagement,
    ) -> Result<Outputs, StepError> {
        let count = documents.iter().filter(|d| is_replica_set(d)).count();
        let Some(rs) = documents
            .iter_mut()
            .find(|d| is_replica_set(d))
            .filter(|_| count == 1)
        else {
            return Err(StepError::refused(format!(
                "traffic management deploys one ReplicaSet as the next version of its cluster, and the manifests have {count}"
            )));
        };
        let (name, own_namespace) = manifests::identity(rs);
        let rs_namespace = own_namespace.unwrap_or_else(|| namespace.to_string());
        if let Some(services_namespace) = traffic.namespace.as_deref()
            && services_namespace != rs_namespace
        {
            return Err(StepError::refused(format!(
                "a Service sends traffic only to Pods of its own namespace: the ReplicaSet is in {rs_namespace}, trafficManagement.options.namespace is {services_namespace}"
            )));
        }
        let base = split_version(&name).0.to_string();
        let cluster = rs
            .pointer(&format!(
                "/metadata/annotations/{}",
                keys::MONIKER_CLUSTER.replace('/', "~1")
            ))
            .and_then(Value::as_str)
            .map_or_else(|| format!("replicaSet {base}"), str::to_string);
        let connection = self.connection(account, &rs_namespace)?;

        // The version this task made before, or the next free one, from the live list.
        let replica_sets: Api<ReplicaSet> =
            Api::namespaced(connection.client.clone(), &rs_namespace);
        let live = replica_sets
            .list(&ListParams::default())
            .await
            .map_err(api_error("listing ReplicaSets"))?;
        let task_id = self.task.id.to_string();
        let members: Vec<(&ReplicaSet, Option<u32>)> = live
            .items
            .iter()
            .filter_map(|r| {
                let moniker = moniker_of(&r.metadata)?;
                (moniker.cluster == cluster).then_some((r, moniker.sequence))
            })
            .collect();
        let ours = members
            .iter()
            .find(|(r, _)| r.annotations().get(keys::TASK) == Some(&task_id));
        let (version, sequence) = match ours {
            Some((r, sequence)) => (r.name_any(), sequence.unwrap_or(0)),
            None => {
                let next = members
                    .iter()
                    .filter_map(|(_, s)| *s)
                    .max()
                    .map_or(0, |h| h + 1);
                if next > MAX_SEQUENCE {
                    return Err(StepError::refused(format!(
                        "cluster {cluster} already has version v{MAX_SEQUENCE}; delete old versions first"
                    )));
                }
                (server_group_name(&base, next), next)
            }
        };

        // The Services' selectors, which the new version's Pods get.
        let labels = self
            .service_selectors(connection, &rs_namespace, &traffic.services, |name| {
                format!("Service {name} does not exist in {rs_namespace}; create it first, or choose another in trafficManagement.options.services")
            })
            .await?;
        if traffic.strategy == TrafficStrategy::RedBlack {
            let own = rs
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object);
            if let Some(key) = labels
                .keys()
                .find(|k| own.is_some_and(|o| o.contains_key(*k)))
            {
                return Err(StepError::refused(format!(
                    "{name}'s selector uses the label {key}, which a Service selects on: Red/Black takes it off the old versions' Pods, so the ReplicaSet's own selector must not use it"
                )));
            }
        }

        object_at(rs, &["metadata"])?.insert("name".into(), json!(version));
        let annotations = object_at(rs, &["metadata", "annotations"])?;
        annotations.insert(keys::MONIKER_CLUSTER.into(), json!(cluster));
        annotations.insert(keys::MONIKER_SEQUENCE.into(), json!(sequence.to_string()));
        annotations.insert(keys::TASK.into(), json!(task_id));
        annotations.insert(
            keys::LOAD_BALANCERS.into(),
            json!(load_balancers_annotation(&traffic.services)),
        );
        if traffic.enable_traffic {
            let template = object_at(rs, &["spec", "template", "metadata", "labels"])?;
            for (key, value) in &labels {
                template.insert(key.clone(), json!(value));
            }
        }

        let mut outputs = Outputs::new();
        outputs.insert(SERVER_GROUP_OUTPUT.into(), json!(version));
        outputs.insert(
            DEPLOYED_OUTPUT.into(),
            json!([{"account": account, "namespace": rs_namespace, "cluster": cluster, "name": version}]),
        );
        Ok(outputs)
    }

    /// Red/Black or Highlander on the cluster of the version this task deployed.
    pub(in crate::tasks) async fn manifest_strategy(
        &self,
        account: &str,
        strategy: TrafficStrategy,
    ) -> StepResult {
        let deployed = self
            .task
            .outputs
            .get(DEPLOYED_OUTPUT)
            .and_then(Value::as_array)
            .and_then(|d| d.last())
            .ok_or_else(|| StepError::refused("no earlier step deployed a version"))?;
        let (Some(namespace), Some(cluster)) =
            (deployed["namespace"].as_str(), deployed["cluster"].as_str())
        else {
            return Err(StepError::refused("the deployed version names no cluster"));
        };
        match strategy {
            TrafficStrategy::RedBlack => self.disable_others(account, namespace, cluster).await,
            TrafficStrategy::Highlander => self.destroy_others(account, namespace, cluster).await,
            TrafficStrategy::None => Ok(Outcome::done(
                "no strategy: the other versions are left as they are",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_are_made_and_other_values_refused() {
        let mut rs = json!({"metadata": {"annotations": null}, "spec": "odd"});
        object_at(&mut rs, &["metadata", "annotations"])
            .unwrap()
            .insert("a".into(), json!("b"));
        assert_eq!(rs["metadata"]["annotations"]["a"], "b");
        let refused = object_at(&mut rs, &["spec", "template"]).unwrap_err();
        assert!(
            refused.to_string().contains("spec is not an object"),
            "{refused}"
        );
    }

    #[test]
    fn unsupported_annotations_are_refused_naming_them() {
        let documents = [json!({"kind": "ConfigMap", "metadata": {"name": "c",
            "annotations": {"strategy.spinnaker.io/recreate": "true"}}})];
        let refused = refuse_unsupported(&documents).unwrap_err().to_string();
        assert!(
            refused.contains("c has the annotation strategy.spinnaker.io/recreate"),
            "{refused}"
        );
        assert!(refuse_unsupported(&[json!({"kind": "ConfigMap"})]).is_ok());
    }
}
