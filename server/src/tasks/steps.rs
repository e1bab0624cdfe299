//! What each step does. Every step is idempotent: a task resumed after a crash runs its current
//! step again, so a step first looks whether its change is already there. Waiting steps read
//! the watch-fed cache and wake on its changes.

use std::collections::BTreeMap;
use std::time::Duration;

use gennaker_app::infrastructure::names::{MAX_SEQUENCE, keys, server_group_name, split_version};
use gennaker_app::infrastructure::server_groups::ObjectRef;
use gennaker_app::tasks::model::{ManifestRef, StepAction, Target, Task, TaskOutputs};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use crate::events::EventBus;
use crate::kubernetes::moniker::{attached_load_balancers, moniker_of};
use crate::kubernetes::{Connection, Kubernetes, manifests, views};

/// How long a waiting step waits before it fails.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "gennaker";

/// Why a step did not finish.
#[derive(Debug)]
pub struct StepFailure(pub String);

impl<T: std::fmt::Display> From<T> for StepFailure {
    fn from(error: T) -> Self {
        StepFailure(error.to_string())
    }
}

/// What a finished step reports.
#[derive(Debug, Default)]
pub struct StepDone {
    pub message: Option<String>,
    pub outputs: Option<TaskOutputs>,
}

fn done(message: impl Into<String>) -> Result<StepDone, StepFailure> {
    Ok(StepDone {
        message: Some(message.into()),
        outputs: None,
    })
}

/// Reports progress of a running step (stored and shown live).
#[async_trait::async_trait]
pub trait Progress: Send + Sync {
    async fn report(&self, message: String);
}

pub struct Executor<'a> {
    pub kubernetes: &'a Kubernetes,
    pub registries: &'a crate::registries::DockerRegistries,
    pub events: &'a EventBus,
    pub task: &'a Task,
    pub progress: &'a dyn Progress,
}

fn api_error(action: &str, error: kube::Error) -> StepFailure {
    StepFailure(crate::kubernetes::cluster_error(action, error).to_string())
}

fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

impl Executor<'_> {
    fn connection(&self, account: &str, namespace: &str) -> Result<&Connection, StepFailure> {
        Ok(self.kubernetes.connection_for(account, namespace)?)
    }

    fn resolve(&self, target: &Target) -> Result<ObjectRef, StepFailure> {
        match target {
            Target::Named { server_group } => Ok(server_group.clone()),
            Target::Created { account, namespace } => match &self.task.outputs.server_group {
                Some(name) => Ok(ObjectRef {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                }),
                None => Err(StepFailure(
                    "no server group name was chosen by an earlier step".into(),
                )),
            },
        }
    }

    fn replica_sets(
        &self,
        target: &ObjectRef,
    ) -> Result<(Api<ReplicaSet>, &Connection), StepFailure> {
        let connection = self.connection(&target.account, &target.namespace)?;
        Ok((
            Api::namespaced(connection.client.clone(), &target.namespace),
            connection,
        ))
    }

    pub async fn run(&self, action: &StepAction) -> Result<StepDone, StepFailure> {
        match action {
            StepAction::ChooseServerGroupName {
                account,
                namespace,
                cluster,
            } => self.choose_name(account, namespace, cluster).await,
            StepAction::EnsurePullSecret {
                account,
                namespace,
                registry,
                ..
            } => {
                let secret = self.registries.pull_secret(registry, namespace)?;
                self.apply(account, namespace, std::slice::from_ref(&secret))
                    .await
            }
            StepAction::CreateReplicaSet { spec, pull_secret } => {
                self.create_replica_set(spec, pull_secret.as_deref()).await
            }
            StepAction::WaitForHealthy { target, replicas } => {
                self.wait_for_healthy(&self.resolve(target)?, *replicas)
                    .await
            }
            StepAction::SetReplicas { target, replicas } => {
                let target = self.resolve(target)?;
                let (api, _) = self.replica_sets(&target)?;
                api.patch(
                    &target.name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"replicas": replicas}})),
                )
                .await
                .map_err(|e| api_error(&format!("resizing {}", target.name), e))?;
                done(format!("{} asks for {replicas} replicas", target.name))
            }
            StepAction::SetTraffic { target, enabled } => {
                self.set_traffic(&self.resolve(target)?, *enabled).await
            }
            StepAction::WaitForTraffic { target, enabled } => {
                self.wait_for_traffic(&self.resolve(target)?, *enabled)
                    .await
            }
            StepAction::DeleteReplicaSet { target } => {
                let target = self.resolve(target)?;
                let (api, _) = self.replica_sets(&target)?;
                match api.delete(&target.name, &DeleteParams::foreground()).await {
                    Ok(_) => done(format!("deletion of {} requested", target.name)),
                    Err(e) if is_status(&e, 404) => {
                        done(format!("{} was already gone", target.name))
                    }
                    Err(e) => Err(api_error(&format!("deleting {}", target.name), e)),
                }
            }
            StepAction::WaitForDeleted {
                account,
                namespace,
                api_version,
                kind,
                name,
            } => {
                self.wait_for_deleted(account, namespace, api_version, kind, name)
                    .await
            }
            StepAction::Apply {
                account,
                namespace,
                documents,
            } => self.apply(account, namespace, documents).await,
            StepAction::Delete { target } => self.delete(target).await,
            StepAction::Scale { target, replicas } => {
                let (api, _) = self.dynamic(target).await?;
                api.patch_scale(
                    &target.name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"replicas": replicas}})),
                )
                .await
                .map_err(|e| api_error(&format!("scaling {} {}", target.kind, target.name), e))?;
                done(format!(
                    "{} {} asks for {replicas} replicas",
                    target.kind, target.name
                ))
            }
            StepAction::UndoRollout {
                deployment,
                revision,
            } => self.undo_rollout(deployment, *revision).await,
        }
    }

    async fn choose_name(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> Result<StepDone, StepFailure> {
        if let Some(name) = &self.task.outputs.server_group {
            return done(format!("{name} (chosen before a restart)"));
        }
        let connection = self.connection(account, namespace)?;
        let api: Api<ReplicaSet> = Api::namespaced(connection.client.clone(), namespace);
        // The live list, not the cache: a server group created a moment ago must count.
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(|e| api_error("listing ReplicaSets", e))?;
        let highest = list
            .items
            .iter()
            .filter_map(|rs| {
                moniker_of(&rs.metadata)
                    .filter(|n| n.cluster == cluster)
                    .and_then(|n| n.sequence)
            })
            .max();
        let next = highest.map_or(0, |h| h + 1);
        if next > MAX_SEQUENCE {
            return Err(StepFailure(format!(
                "cluster {cluster} already has version v{MAX_SEQUENCE}; destroy old server groups or use a new stack or detail"
            )));
        }
        let name = server_group_name(cluster, next);
        Ok(StepDone {
            message: Some(name.clone()),
            outputs: Some(TaskOutputs {
                server_group: Some(name),
            }),
        })
    }

    /// Creates the ReplicaSet, and finishes once the cache holds it: the steps after this one
    /// read the cache, which may lag the API by a moment.
    async fn create_replica_set(
        &self,
        spec: &gennaker_app::infrastructure::server_groups::ServerGroupSpec,
        pull_secret: Option<&str>,
    ) -> Result<StepDone, StepFailure> {
        let target = self.resolve(&Target::Created {
            account: spec.account.clone(),
            namespace: spec.namespace.clone(),
        })?;
        let created = self.write_replica_set(&target, spec, pull_secret).await?;
        let connection = self.connection(&target.account, &target.namespace)?;
        self.wait(connection, &format!("{} to show", target.name), || {
            let seen = connection
                .cache
                .replica_sets
                .get(&target.namespace, &target.name)
                .is_some();
            Ok((
                seen,
                format!("waiting for {} to show in the cache", target.name),
            ))
        })
        .await?;
        Ok(created)
    }

    async fn write_replica_set(
        &self,
        target: &ObjectRef,
        spec: &gennaker_app::infrastructure::server_groups::ServerGroupSpec,
        pull_secret: Option<&str>,
    ) -> Result<StepDone, StepFailure> {
        let (api, connection) = self.replica_sets(target)?;
        let task_id = self.task.id.to_string();
        let ours = |rs: &ReplicaSet| rs.annotations().get(keys::TASK) == Some(&task_id);
        match api
            .get_opt(&target.name)
            .await
            .map_err(|e| api_error("reading ReplicaSets", e))?
        {
            Some(rs) if ours(&rs) => {
                return done(format!(
                    "{} was created by this task before a restart",
                    target.name
                ));
            }
            Some(_) => {
                return Err(StepFailure(format!(
                    "ReplicaSet {} already exists and was not made by this task; run the operation again to take the next version",
                    target.name
                )));
            }
            None => {}
        }
        let services: Api<Service> = Api::namespaced(connection.client.clone(), &spec.namespace);
        let mut traffic = BTreeMap::new();
        for name in &spec.load_balancers {
            let service = services
                .get_opt(name)
                .await
                .map_err(|e| api_error("reading Services", e))?
                .ok_or_else(|| {
                    StepFailure(format!(
                        "load balancer {name} no longer exists in {}",
                        spec.namespace
                    ))
                })?;
            traffic.extend(service.spec.and_then(|s| s.selector).unwrap_or_default());
        }
        let sequence = split_version(&target.name).1.unwrap_or(0);
        let manifest = manifests::replica_set(
            spec,
            &target.name,
            sequence,
            &traffic,
            pull_secret,
            &task_id,
        );
        let rs: ReplicaSet = serde_json::from_value(manifest)?;
        match api
            .create(
                &PostParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..PostParams::default()
                },
                &rs,
            )
            .await
        {
            Ok(_) => done(format!("created {}", target.name)),
            Err(e) if is_status(&e, 409) => match api.get_opt(&target.name).await {
                Ok(Some(rs)) if ours(&rs) => {
                    done(format!("{} was created by this task", target.name))
                }
                _ => Err(StepFailure(format!(
                    "ReplicaSet {} was created by someone else at the same moment; run the operation again",
                    target.name
                ))),
            },
            Err(e) => Err(api_error(&format!("creating {}", target.name), e)),
        }
    }

    /// Waits for `check` to say done, re-checking on every cache change and at least every
    /// second. `check` returns `Ok(Some(message))` when done, `Ok(None)` to keep waiting.
    async fn wait(
        &self,
        connection: &Connection,
        what: &str,
        mut check: impl FnMut() -> Result<(bool, String), StepFailure>,
    ) -> Result<StepDone, StepFailure> {
        use crate::kubernetes::cache::WatchState;
        let mut changes = self.events.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
        let mut last = String::new();
        loop {
            // An unsynced cache (just started, or the cluster unreachable) proves nothing.
            let (finished, message) = match connection.cache.health.summary() {
                WatchState::Healthy => check()?,
                WatchState::Syncing => (false, "waiting for the cluster cache to load".to_string()),
                WatchState::Failing(error) => {
                    (false, format!("the cluster is unreachable: {error}"))
                }
            };
            if finished {
                return done(message);
            }
            if message != last {
                self.progress.report(message.clone()).await;
                last = message;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StepFailure(format!(
                    "timed out after {} minutes waiting for {what} ({last})",
                    WAIT_TIMEOUT.as_secs() / 60
                )));
            }
            tokio::select! {
                _ = changes.recv() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    async fn wait_for_healthy(
        &self,
        target: &ObjectRef,
        replicas: Option<i64>,
    ) -> Result<StepDone, StepFailure> {
        let connection = self.connection(&target.account, &target.namespace)?;
        let cache = &connection.cache;
        self.wait(
            connection,
            &format!("{} to be healthy", target.name),
            || {
                let rs = cache
                    .replica_sets
                    .get(&target.namespace, &target.name)
                    .ok_or_else(|| StepFailure(format!("{} no longer exists", target.name)))?;
                let desired = i64::from(rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1));
                let pods: Vec<_> = views::owned_pods(cache, &rs)
                    .into_iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .collect();
                let ready = pods.iter().filter(|p| views::pod_ready(p)).count() as i64;
                let wanted = replicas.unwrap_or(desired);
                let finished = desired == wanted && ready == wanted && pods.len() as i64 == wanted;
                Ok((finished, format!("{ready} of {wanted} Pods Ready")))
            },
        )
        .await
    }

    async fn set_traffic(
        &self,
        target: &ObjectRef,
        enabled: bool,
    ) -> Result<StepDone, StepFailure> {
        let (api, connection) = self.replica_sets(target)?;
        let rs = api
            .get(&target.name)
            .await
            .map_err(|e| api_error(&format!("reading {}", target.name), e))?;
        let services: Api<Service> = Api::namespaced(connection.client.clone(), &target.namespace);
        let mut traffic = BTreeMap::new();
        for name in attached_load_balancers(&rs.metadata) {
            match services
                .get_opt(&name)
                .await
                .map_err(|e| api_error("reading Services", e))?
            {
                Some(service) => {
                    traffic.extend(service.spec.and_then(|s| s.selector).unwrap_or_default())
                }
                None if enabled => {
                    return Err(StepFailure(format!(
                        "load balancer {name} does not exist; create it first"
                    )));
                }
                None => {}
            }
        }
        let selector = rs
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone())
            .unwrap_or_default();
        if !enabled && let Some(key) = traffic.keys().find(|k| selector.contains_key(*k)) {
            return Err(StepFailure(format!(
                "{}'s own selector uses the label {key}, so removing it would orphan its Pods",
                target.name
            )));
        }
        let labels: serde_json::Map<String, Value> = traffic
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if enabled {
                        Value::String(v.clone())
                    } else {
                        Value::Null
                    },
                )
            })
            .collect();
        let patch = json!({"spec": {"template": {"metadata": {"labels": labels}}}});
        api.patch(&target.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| api_error(&format!("changing {}'s Pod template", target.name), e))?;
        let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &target.namespace);
        let selector_text = selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        if selector_text.is_empty() {
            return Err(StepFailure(format!(
                "{} has no matchLabels selector",
                target.name
            )));
        }
        let list = pods
            .list(&ListParams::default().labels(&selector_text))
            .await
            .map_err(|e| api_error("listing Pods", e))?;
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let mut patched = 0;
        for pod in list
            .items
            .iter()
            .filter(|p| p.owner_references().iter().any(|o| o.uid == uid))
        {
            match pods
                .patch(
                    &pod.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"labels": labels}})),
                )
                .await
            {
                Ok(_) => patched += 1,
                Err(e) if is_status(&e, 404) => {}
                Err(e) => return Err(api_error(&format!("relabelling Pod {}", pod.name_any()), e)),
            }
        }
        done(format!(
            "{} {} Pods of {}",
            if enabled { "enabled" } else { "disabled" },
            patched,
            target.name
        ))
    }

    async fn wait_for_traffic(
        &self,
        target: &ObjectRef,
        enabled: bool,
    ) -> Result<StepDone, StepFailure> {
        let connection = self.connection(&target.account, &target.namespace)?;
        let cache = &connection.cache;
        self.wait(
            connection,
            &format!(
                "the load balancers to {} {}",
                if enabled { "include" } else { "drop" },
                target.name
            ),
            || {
                let rs = cache
                    .replica_sets
                    .get(&target.namespace, &target.name)
                    .ok_or_else(|| StepFailure(format!("{} no longer exists", target.name)))?;
                let pods: Vec<String> = views::owned_pods(cache, &rs)
                    .iter()
                    .filter(|p| views::pod_ready(p))
                    .map(|p| p.name_any())
                    .collect();
                let services: Vec<String> = attached_load_balancers(&rs.metadata)
                    .into_iter()
                    .filter(|name| cache.services.get(&target.namespace, name).is_some())
                    .collect();
                let mut routed = 0;
                let mut expected = 0;
                for service in &services {
                    let endpoints = views::ready_endpoints(cache, &target.namespace, service);
                    routed += pods.iter().filter(|p| endpoints.contains(p)).count();
                    expected += pods.len();
                }
                let finished = if enabled {
                    routed == expected
                } else {
                    routed == 0
                };
                Ok((
                    finished,
                    format!("{routed} of {expected} Pod endpoints routed"),
                ))
            },
        )
        .await
    }

    async fn wait_for_deleted(
        &self,
        account: &str,
        namespace: &str,
        api_version: &str,
        kind: &str,
        name: &str,
    ) -> Result<StepDone, StepFailure> {
        let connection = self.connection(account, namespace)?;
        let cache = &connection.cache;
        match kind {
            "ReplicaSet" => {
                self.wait(connection, &format!("{name} to be deleted"), || {
                    Ok((
                        cache.replica_sets.get(namespace, name).is_none(),
                        format!("{name} is being deleted"),
                    ))
                })
                .await
            }
            "Service" => {
                self.wait(connection, &format!("{name} to be deleted"), || {
                    Ok((
                        cache.services.get(namespace, name).is_none(),
                        format!("{name} is being deleted"),
                    ))
                })
                .await
            }
            "NetworkPolicy" => {
                self.wait(connection, &format!("{name} to be deleted"), || {
                    Ok((
                        cache.network_policies.get(namespace, name).is_none(),
                        format!("{name} is being deleted"),
                    ))
                })
                .await
            }
            _ => {
                let resolved = manifests::resolve(
                    &manifests::discover(&connection.client).await?,
                    Some(api_version),
                    kind,
                )?;
                let api: Api<DynamicObject> =
                    Api::namespaced_with(connection.client.clone(), namespace, &resolved.resource);
                let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
                loop {
                    if api
                        .get_opt(name)
                        .await
                        .map_err(|e| api_error("reading the object", e))?
                        .is_none()
                    {
                        return done(format!("{kind} {name} is gone"));
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(StepFailure(format!(
                            "timed out waiting for {kind} {name} to be deleted"
                        )));
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn dynamic(
        &self,
        target: &ManifestRef,
    ) -> Result<(Api<DynamicObject>, Client), StepFailure> {
        let connection = self.connection(&target.account, &target.namespace)?;
        let discovery = manifests::discover(&connection.client).await?;
        let resolved = manifests::resolve(&discovery, None, &target.kind)?;
        let api = if resolved.namespaced {
            Api::namespaced_with(
                connection.client.clone(),
                &target.namespace,
                &resolved.resource,
            )
        } else {
            Api::all_with(connection.client.clone(), &resolved.resource)
        };
        Ok((api, connection.client.clone()))
    }

    async fn apply(
        &self,
        account: &str,
        namespace: &str,
        documents: &[Value],
    ) -> Result<StepDone, StepFailure> {
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
            .map_err(|e| api_error(&format!("applying {kind} {name}"), e))?;
            applied.push(format!("{kind} {name}"));
            self.progress
                .report(format!("applied {}", applied.join(", ")))
                .await;
        }
        done(format!("applied {}", applied.join(", ")))
    }

    async fn delete(&self, target: &ManifestRef) -> Result<StepDone, StepFailure> {
        let (api, _) = self.dynamic(target).await?;
        match api.delete(&target.name, &DeleteParams::background()).await {
            Ok(_) => done(format!(
                "deletion of {} {} requested",
                target.kind, target.name
            )),
            Err(e) if is_status(&e, 404) => {
                done(format!("{} {} was already gone", target.kind, target.name))
            }
            Err(e) => Err(api_error(
                &format!("deleting {} {}", target.kind, target.name),
                e,
            )),
        }
    }

    async fn undo_rollout(
        &self,
        deployment: &ObjectRef,
        revision: i64,
    ) -> Result<StepDone, StepFailure> {
        let connection = self.connection(&deployment.account, &deployment.namespace)?;
        let deployments: Api<Deployment> =
            Api::namespaced(connection.client.clone(), &deployment.namespace);
        // The Deployment controller writes the object between our read and our replace, so a
        // replace refused for a stale resourceVersion reads again and retries.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self
                .replace_template(&deployments, &connection.client, deployment, revision)
                .await?
            {
                Replaced::Done(outcome) => return Ok(outcome),
                Replaced::Stale(error) if attempts < 5 => {
                    tracing::debug!(attempts, %error, "Deployment changed underneath; retrying");
                }
                Replaced::Stale(error) => {
                    return Err(api_error(
                        &format!("rolling back Deployment {}", deployment.name),
                        error,
                    ));
                }
            }
        }
    }

    async fn replace_template(
        &self,
        deployments: &Api<Deployment>,
        client: &kube::Client,
        deployment: &ObjectRef,
        revision: i64,
    ) -> Result<Replaced, StepFailure> {
        let mut current = deployments
            .get(&deployment.name)
            .await
            .map_err(|e| api_error(&format!("reading Deployment {}", deployment.name), e))?;
        let uid = current.metadata.uid.clone().unwrap_or_default();
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &deployment.namespace);
        let owned: Vec<ReplicaSet> = replica_sets
            .list(&ListParams::default())
            .await
            .map_err(|e| api_error("listing ReplicaSets", e))?
            .items
            .into_iter()
            .filter(|rs| rs.owner_references().iter().any(|o| o.uid == uid))
            .collect();
        let revision_of = |rs: &ReplicaSet| {
            rs.annotations()
                .get("deployment.kubernetes.io/revision")
                .and_then(|r| r.parse::<i64>().ok())
        };
        let Some(source) = owned.iter().find(|rs| revision_of(rs) == Some(revision)) else {
            let mut known: Vec<i64> = owned.iter().filter_map(revision_of).collect();
            known.sort_unstable();
            let known = known
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(StepFailure(format!(
                "Deployment {} has no revision {revision} (it has: {known})",
                deployment.name
            )));
        };
        let Some(mut template) = source.spec.as_ref().and_then(|s| s.template.clone()) else {
            return Err(StepFailure(format!(
                "revision {revision} has no Pod template"
            )));
        };
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove("pod-template-hash");
        }
        let Some(spec) = current.spec.as_mut() else {
            return Err(StepFailure(format!(
                "Deployment {} has no spec",
                deployment.name
            )));
        };
        if spec.template == template {
            return done(format!(
                "{} already runs revision {revision}'s template",
                deployment.name
            ))
            .map(Replaced::Done);
        }
        spec.template = template;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PostParams::default()
        };
        match deployments
            .replace(&deployment.name, &params, &current)
            .await
        {
            Ok(_) => done(format!(
                "{} rolls back to revision {revision}",
                deployment.name
            ))
            .map(Replaced::Done),
            Err(e) if is_status(&e, 409) => Ok(Replaced::Stale(e)),
            Err(e) => Err(api_error(
                &format!("rolling back Deployment {}", deployment.name),
                e,
            )),
        }
    }
}

/// How one read-modify-replace of a Deployment ended.
enum Replaced {
    Done(StepDone),
    /// The object changed between the read and the replace.
    Stale(kube::Error),
}
