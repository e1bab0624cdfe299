//! The steps of one Kubernetes object by kind (Deploy, Delete, Scale and Undo Rollout
//! (Manifest)): found through discovery, changed by server-side apply or a patch.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::ManifestRef;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::executor::{Executor, FIELD_MANAGER, StepResult, api_error, is_status};
use crate::kubernetes::manifests;
use crate::tasks::outcome::{Outcome, StepError};

impl Executor<'_> {
    pub(in crate::tasks) async fn dynamic(
        &self,
        target: &ManifestRef,
    ) -> Result<Api<DynamicObject>, StepError> {
        let connection = self.connection(&target.account, &target.namespace)?;
        let discovery = manifests::discover(&connection.client).await?;
        let resolved = manifests::resolve(&discovery, None, &target.kind)?;
        Ok(if resolved.namespaced {
            Api::namespaced_with(
                connection.client.clone(),
                &target.namespace,
                &resolved.resource,
            )
        } else {
            Api::all_with(connection.client.clone(), &resolved.resource)
        })
    }

    /// Server-side apply: applying the same documents again changes nothing.
    pub(in crate::tasks) async fn apply(
        &self,
        account: &str,
        namespace: &str,
        documents: &[Value],
    ) -> StepResult {
        let connection = self.connection(account, namespace)?;
        // One discovery for all documents: it is a request per API group.
        let discovery = manifests::discover(&connection.client).await?;
        let mut applied = Vec::new();
        for document in documents {
            let api_version = document
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let kind = document
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let (name, own_namespace) = manifests::identity(document);
            let resolved = manifests::resolve(&discovery, Some(api_version), kind)?;
            let mut document = document.clone();
            let api: Api<DynamicObject> = if resolved.namespaced {
                let ns = own_namespace.unwrap_or_else(|| namespace.to_string());
                document["metadata"]["namespace"] = Value::String(ns.clone());
                Api::namespaced_with(connection.client.clone(), &ns, &resolved.resource)
            } else {
                Api::all_with(connection.client.clone(), &resolved.resource)
            };
            api.patch(
                &name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&document),
            )
            .await
            .map_err(api_error(format!("applying {kind} {name}")))?;
            applied.push(format!("{kind} {name}"));
            self.progress
                .report(format!("applied {}", applied.join(", ")))
                .await;
        }
        Ok(Outcome::done(format!("applied {}", applied.join(", "))))
    }

    pub(in crate::tasks) async fn delete(&self, target: &ManifestRef) -> StepResult {
        let api = self.dynamic(target).await?;
        match api.delete(&target.name, &DeleteParams::background()).await {
            Ok(_) => Ok(Outcome::done(format!(
                "deletion of {} {} requested",
                target.kind, target.name
            ))),
            Err(e) if is_status(&e, 404) => Ok(Outcome::done(format!(
                "{} {} was already gone",
                target.kind, target.name
            ))),
            Err(e) => Err(api_error(format!(
                "deleting {} {}",
                target.kind, target.name
            ))(e)),
        }
    }

    /// Stamps the Pod template with `restarted_at`, as `kubectl rollout restart` does.
    pub(in crate::tasks) async fn rolling_restart(
        &self,
        target: &ManifestRef,
        restarted_at: &str,
    ) -> StepResult {
        let api = self.dynamic(target).await?;
        let restart = json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": restarted_at}}}}});
        api.patch(
            &target.name,
            &PatchParams::default(),
            &Patch::Merge(&restart),
        )
        .await
        .map_err(api_error(format!(
            "restarting {} {}",
            target.kind, target.name
        )))?;
        Ok(Outcome::done(format!(
            "{} {} replaces its Pods (restarted at {restarted_at})",
            target.kind, target.name
        )))
    }

    /// Sets the object's replicas through its scale subresource.
    pub(in crate::tasks) async fn scale(&self, target: &ManifestRef, replicas: i64) -> StepResult {
        let api = self.dynamic(target).await?;
        api.patch_scale(
            &target.name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        )
        .await
        .map_err(api_error(format!(
            "scaling {} {}",
            target.kind, target.name
        )))?;
        Ok(Outcome::done(format!(
            "{} {} asks for {replicas} replicas",
            target.kind, target.name
        )))
    }

    /// Replaces the Deployment's Pod template with revision `revision`'s. The Deployment
    /// controller writes the object between our read and our replace now and then; the
    /// replace is then refused for a stale resourceVersion (409), which the runner retries.
    /// The Deployment and the ReplicaSets it owns, each with its revision, newest first.
    pub(in crate::tasks) async fn revisions(
        &self,
        deployment: &ObjectRef,
    ) -> Result<(Deployment, Vec<(i64, ReplicaSet)>), StepError> {
        let connection = self.connection(&deployment.account, &deployment.namespace)?;
        let deployments: Api<Deployment> =
            Api::namespaced(connection.client.clone(), &deployment.namespace);
        let current = deployments
            .get(&deployment.name)
            .await
            .map_err(api_error(format!("reading Deployment {}", deployment.name)))?;
        let uid = current.metadata.uid.clone().unwrap_or_default();
        let replica_sets: Api<ReplicaSet> =
            Api::namespaced(connection.client.clone(), &deployment.namespace);
        let mut owned: Vec<(i64, ReplicaSet)> = replica_sets
            .list(&ListParams::default())
            .await
            .map_err(api_error("listing ReplicaSets"))?
            .items
            .into_iter()
            .filter(|rs| rs.owner_references().iter().any(|o| o.uid == uid))
            .filter_map(|rs| {
                let revision = rs
                    .annotations()
                    .get("deployment.kubernetes.io/revision")
                    .and_then(|r| r.parse::<i64>().ok())?;
                Some((revision, rs))
            })
            .collect();
        owned.sort_by_key(|(revision, _)| std::cmp::Reverse(*revision));
        Ok((current, owned))
    }

    pub(in crate::tasks) async fn undo_rollout(
        &self,
        deployment: &ObjectRef,
        revision: i64,
    ) -> StepResult {
        let (current, owned) = self.revisions(deployment).await?;
        let Some((_, source)) = owned.iter().find(|(r, _)| *r == revision) else {
            let known = owned
                .iter()
                .rev()
                .map(|(r, _)| r.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(StepError::refused(format!(
                "Deployment {} has no revision {revision} (it has: {known})",
                deployment.name
            )));
        };
        self.roll_back_to(deployment, current, source, &format!("revision {revision}"))
            .await
    }

    /// Puts `source`'s Pod template into the Deployment; nothing when it has it already.
    pub(in crate::tasks) async fn roll_back_to(
        &self,
        deployment: &ObjectRef,
        mut current: Deployment,
        source: &ReplicaSet,
        what: &str,
    ) -> StepResult {
        let Some(mut template) = source.spec.as_ref().and_then(|s| s.template.clone()) else {
            return Err(StepError::refused(format!("{what} has no Pod template")));
        };
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove("pod-template-hash");
        }
        let Some(spec) = current.spec.as_mut() else {
            return Err(StepError::refused(format!(
                "Deployment {} has no spec",
                deployment.name
            )));
        };
        if spec.template == template {
            return Ok(Outcome::done(format!(
                "{} already runs {what}'s template",
                deployment.name
            )));
        }
        spec.template = template;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PostParams::default()
        };
        let connection = self.connection(&deployment.account, &deployment.namespace)?;
        let deployments: Api<Deployment> =
            Api::namespaced(connection.client.clone(), &deployment.namespace);
        deployments
            .replace(&deployment.name, &params, &current)
            .await
            .map_err(api_error(format!(
                "rolling back Deployment {}",
                deployment.name
            )))?;
        Ok(Outcome::done(format!(
            "{} rolls back to {what}",
            deployment.name
        )))
    }
}
