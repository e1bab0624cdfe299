//! What each step does, run once. Every step is idempotent: a task resumed after a crash runs
//! its current step again, so a step first looks whether its change is already there. A
//! waiting step reads the watch-fed cache and says "not yet" ([`Outcome::Pending`]); the runner
//! runs it again when the cache changes.

use std::collections::BTreeMap;

use gennaker_app::infrastructure::names::{MAX_SEQUENCE, keys, server_group_name, split_version};
use gennaker_app::infrastructure::server_groups::ObjectRef;
use gennaker_app::tasks::model::{
    ClusterCleanup, ManifestRef, Outputs, SERVER_GROUP_OUTPUT, StepAction, Target, Task,
};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::outcome::{Outcome, StepError};
use crate::kubernetes::moniker::{attached_load_balancers, moniker_of};
use crate::kubernetes::{self, Connection, Kubernetes, manifests, views};

/// The output listing every server group a task created: `[{account, namespace, cluster, name}]`.
pub const DEPLOYED_OUTPUT: &str = "deployedServerGroups";

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "gennaker";

pub(super) type StepResult = Result<Outcome, StepError>;

/// Turns an API error met while doing `action` into the step's error.
pub(super) fn api_error(action: impl Into<String>) -> impl FnOnce(kube::Error) -> StepError {
    move |error| StepError::Kubernetes(kubernetes::Error::api(action, error))
}

pub(super) fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// Reports progress of a running step (stored and shown live).
#[async_trait::async_trait]
pub trait Progress: Send + Sync {
    async fn report(&self, message: String);
    /// Records, durably, that the step is about to send a request; returns how many it had
    /// recorded before (more than 0: the receiver may have seen it already).
    async fn sending(&self) -> Result<u32, String>;
    /// Records, durably and before the change is made, what the step is about to do to each
    /// named thing (see [`Step::did`](gennaker_app::tasks::model::Step::did)).
    async fn did(&self, done: Vec<(String, String)>) -> Result<(), String>;
}

/// Runs the child pipelines of Pipeline stages (the pipeline engine).
#[async_trait::async_trait]
pub trait ChildPipelines: Send + Sync {
    /// Starts pipeline `pipeline` of `application` as execution `child`, run by stage
    /// `parent_stage` of execution `parent`; does nothing when `child` exists already.
    async fn start_child(
        &self,
        child: gennaker_app::ids::ExecutionId,
        application: &str,
        pipeline: &str,
        parameters: &serde_json::Map<String, Value>,
        parent: (gennaker_app::ids::ExecutionId, &str),
        user: &str,
    ) -> Result<(), String>;

    /// The child's status, and why it failed when it did.
    async fn child_status(
        &self,
        child: gennaker_app::ids::ExecutionId,
    ) -> Option<(
        gennaker_app::pipelines::execution::ExecutionStatus,
        Option<String>,
    )>;
}

/// Runs one step of one task, once.
pub struct Executor<'a> {
    pub kubernetes: &'a Kubernetes,
    pub registries: &'a crate::registries::DockerRegistries,
    pub jenkins: &'a crate::jenkins::JenkinsMasters,
    pub task: &'a Task,
    pub step: &'a gennaker_app::tasks::model::Step,
    /// The step's place in the task.
    pub index: usize,
    pub progress: &'a dyn Progress,
    /// For webhooks.
    pub http: &'a reqwest::Client,
    /// For Pipeline stages; `None` until the pipeline engine runs.
    pub children: Option<&'a dyn ChildPipelines>,
}

impl Executor<'_> {
    /// Records, before a request leaves, that this step is sending it, and gives the
    /// request's `Idempotency-Key` and how many sends were recorded before this one (more
    /// than 0: the receiver may have had it already). A send that cannot be recorded is not
    /// made; the step tries again.
    pub(super) async fn record_sending(&self) -> Result<(String, u32), StepError> {
        let before = self
            .progress
            .sending()
            .await
            .map_err(|message| StepError::Webhook {
                message,
                retryable: true,
            })?;
        let key = super::stage_steps::idempotency_key(self.task.id, self.index);
        if before > 0 {
            tracing::info!(idempotency_key = %key, "sending again with the same Idempotency-Key (the receiver may have it already)");
        }
        Ok((key, before))
    }

    pub(super) fn connection(
        &self,
        account: &str,
        namespace: &str,
    ) -> Result<&Connection, StepError> {
        Ok(self.kubernetes.connection_for(account, namespace)?)
    }

    pub(super) fn resolve(&self, target: &Target) -> Result<ObjectRef, StepError> {
        match target {
            Target::Named { server_group } => Ok(server_group.clone()),
            Target::Created { account, namespace } => match self.task.created_server_group() {
                Some(name) => Ok(ObjectRef {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    name: name.to_string(),
                }),
                None => Err(StepError::refused(
                    "no server group name was chosen by an earlier step",
                )),
            },
            Target::Picked { account, namespace } => match self.task.picked_server_group() {
                Some(name) => Ok(ObjectRef {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    name: name.to_string(),
                }),
                None => Err(StepError::refused(
                    "no server group was picked by an earlier step",
                )),
            },
        }
    }

    pub(super) fn replica_sets(
        &self,
        target: &ObjectRef,
    ) -> Result<(Api<ReplicaSet>, &Connection), StepError> {
        let connection = self.connection(&target.account, &target.namespace)?;
        Ok((
            Api::namespaced(connection.client.clone(), &target.namespace),
            connection,
        ))
    }

    /// Runs `action` once. A step that waits returns [`Outcome::Pending`] until what it waits
    /// for is there; the runner runs it again on the next change in the cluster.
    pub async fn run(&self, action: &StepAction) -> StepResult {
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
                let secret = self
                    .registries
                    .pull_secret(registry, namespace)
                    .map_err(StepError::Refused)?;
                self.apply(account, namespace, std::slice::from_ref(&secret))
                    .await
            }
            StepAction::CreateReplicaSet { spec, pull_secret } => {
                self.create_replica_set(spec, pull_secret.as_deref()).await
            }
            StepAction::WaitForHealthy { target, replicas } => {
                self.wait_for_healthy(&self.resolve(target)?, *replicas)
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
                .map_err(api_error(format!("resizing {}", target.name)))?;
                Ok(Outcome::done(format!(
                    "{} asks for {replicas} replicas",
                    target.name
                )))
            }
            StepAction::SetTraffic { target, enabled } => {
                self.set_traffic(&self.resolve(target)?, *enabled).await
            }
            StepAction::WaitForTraffic { target, enabled } => {
                self.wait_for_traffic(&self.resolve(target)?, *enabled)
            }
            StepAction::DeleteReplicaSet { target } => {
                let target = self.resolve(target)?;
                let (api, _) = self.replica_sets(&target)?;
                match api.delete(&target.name, &DeleteParams::foreground()).await {
                    Ok(_) => Ok(Outcome::done(format!(
                        "deletion of {} requested",
                        target.name
                    ))),
                    Err(e) if is_status(&e, 404) => {
                        Ok(Outcome::done(format!("{} was already gone", target.name)))
                    }
                    Err(e) => Err(api_error(format!("deleting {}", target.name))(e)),
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
            StepAction::UndoRollout {
                deployment,
                revision,
            } => self.undo_rollout(deployment, *revision).await,
            StepAction::Wait { seconds } => Ok(self.wait(*seconds)),
            StepAction::ExecutionWindow {
                window,
                jitter_seconds,
            } => self.execution_window(window, *jitter_seconds),
            StepAction::ManualJudgment { .. } => self.judgment(),
            StepAction::Record { outputs } => Ok(Outcome::Done {
                message: format!("{} value(s) for later stages", outputs.len()),
                outputs: outputs.clone(),
            }),
            StepAction::Precondition { passed, message } => {
                if *passed {
                    Ok(Outcome::done(message.clone()))
                } else {
                    Err(StepError::refused(message.clone()))
                }
            }
            StepAction::CheckClusterSize {
                account,
                namespace,
                cluster,
                comparison,
                expected,
                only_enabled,
            } => self.check_cluster_size(
                account,
                namespace,
                cluster,
                comparison,
                *expected,
                *only_enabled,
            ),
            StepAction::RunPipeline {
                application,
                pipeline,
                parameters,
                execution,
                wait,
                deployed,
            } => {
                let parameters = match deployed {
                    Some(deployed) => self.with_deployed(parameters, deployed)?,
                    None => parameters.clone(),
                };
                self.run_pipeline(application, pipeline, &parameters, *execution, *wait)
                    .await
            }
            StepAction::RecordRollingSource {
                account,
                namespace,
                cluster,
            } => self.record_rolling_source(account, namespace, cluster),
            StepAction::DisableSourceShare {
                account,
                namespace,
                percentage,
            } => {
                self.disable_source_share(account, namespace, *percentage)
                    .await
            }
            StepAction::CallWebhook { request } => self.call_webhook(request).await,
            StepAction::MonitorWebhook { monitor } => self.monitor_webhook(monitor).await,
            StepAction::WaitForManifests {
                account,
                namespace,
                objects,
            } => self.wait_for_manifests(account, namespace, objects).await,
            StepAction::DestroyOtherServerGroups {
                account,
                namespace,
                cluster,
            } => self.destroy_others(account, namespace, cluster).await,
            StepAction::DisableOtherServerGroups {
                account,
                namespace,
                cluster,
            } => self.disable_others(account, namespace, cluster).await,
            StepAction::ShrinkCluster {
                account,
                namespace,
                cluster,
                keep,
            } => {
                self.delete_excess(&ClusterCleanup {
                    account: account.clone(),
                    namespace: namespace.clone(),
                    cluster: cluster.clone(),
                    keep: *keep,
                    prefer_larger: false,
                    allow_active: false,
                    exclude: Vec::new(),
                })
                .await
            }
            StepAction::DeleteClusterExcess { cleanup } => self.delete_excess(cleanup).await,
            StepAction::ScaleDownClusterExcess { cleanup } => self.scale_down_excess(cleanup).await,
            StepAction::PickServerGroup {
                account,
                namespace,
                cluster,
                pick,
            } => self.pick_server_group(account, namespace, cluster, pick),
            StepAction::ResizeServerGroup { target, resize } => {
                self.resize_server_group(target, *resize).await
            }
            StepAction::WaitForServerGroupDeleted { target } => {
                let target = self.resolve(target)?;
                self.wait_for_deleted(
                    &target.account,
                    &target.namespace,
                    "apps/v1",
                    "ReplicaSet",
                    &target.name,
                )
                .await
            }
            StepAction::FindImage {
                account,
                namespace,
                cluster,
                pick,
                only_enabled,
            } => self.find_image(account, namespace, cluster, *pick, *only_enabled),
            StepAction::ChooseRevision {
                deployment,
                revisions_back,
            } => self.choose_revision(deployment, *revisions_back).await,
            StepAction::UndoRolloutChosen { deployment } => {
                self.undo_rollout_chosen(deployment).await
            }
            StepAction::ScaleDownOtherServerGroups {
                account,
                namespace,
                cluster,
            } => self.scale_down_others(account, namespace, cluster).await,
            StepAction::CreateJob {
                account,
                namespace,
                manifest,
            } => self.create_job(account, namespace, manifest).await,
            StepAction::WaitForJob { job, capture } => {
                self.wait_for_job(job, capture.as_ref()).await
            }
            StepAction::CheckJob { job, capture } => self.check_job(job, capture.as_ref()),
            StepAction::StartJenkinsJob {
                master,
                job,
                parameters,
            } => self.start_jenkins_job(master, job, parameters).await,
            StepAction::WaitForJenkinsQueue { master, job } => {
                self.wait_for_jenkins_queue(master, job).await
            }
            StepAction::WaitForJenkinsBuild {
                master,
                job,
                property_file,
            } => {
                self.wait_for_jenkins_build(master, job, property_file.as_deref())
                    .await
            }
            StepAction::CheckJenkinsBuild {
                job,
                unstable_is_success,
            } => self.check_jenkins_build(job, *unstable_is_success),
            StepAction::RollBackDeploy {
                account,
                namespace,
                cluster,
                failed,
            } => self.roll_back(account, namespace, cluster, failed).await,
        }
    }

    /// Picks the next free version from the live list. Run again after a crash it picks the
    /// same name, as the ReplicaSet is created by a later step.
    async fn choose_name(&self, account: &str, namespace: &str, cluster: &str) -> StepResult {
        let connection = self.connection(account, namespace)?;
        let api: Api<ReplicaSet> = Api::namespaced(connection.client.clone(), namespace);
        // The live list, not the cache: a server group created a moment ago must count.
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(api_error("listing ReplicaSets"))?;
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
            return Err(StepError::refused(format!(
                "cluster {cluster} already has version v{MAX_SEQUENCE}; destroy old server groups or use a new stack or detail"
            )));
        }
        let name = server_group_name(cluster, next);
        let mut outputs = Outputs::new();
        outputs.insert(SERVER_GROUP_OUTPUT.into(), Value::String(name.clone()));
        // Every server group this task makes, for a Deploy stage's outputs.
        let mut deployed = self
            .task
            .outputs
            .get(DEPLOYED_OUTPUT)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        deployed.push(
            json!({"account": account, "namespace": namespace, "cluster": cluster, "name": name}),
        );
        outputs.insert(DEPLOYED_OUTPUT.into(), Value::Array(deployed));
        Ok(Outcome::Done {
            message: name,
            outputs,
        })
    }

    /// Creates the ReplicaSet, and finishes once the cache holds it: the steps after this one
    /// read the cache, which may lag the API by a moment. Run again, it finds the ReplicaSet
    /// this task made (by the task annotation) instead of making a second.
    async fn create_replica_set(
        &self,
        spec: &gennaker_app::infrastructure::server_groups::ServerGroupSpec,
        pull_secret: Option<&str>,
    ) -> StepResult {
        let target = self.resolve(&Target::Created {
            account: spec.account.clone(),
            namespace: spec.namespace.clone(),
        })?;
        let created = self.write_replica_set(&target, spec, pull_secret).await?;
        let connection = self.connection(&target.account, &target.namespace)?;
        self.check(connection, || {
            let seen = connection
                .cache
                .replica_sets
                .get(&target.namespace, &target.name)
                .is_some();
            Ok(if seen {
                Outcome::done(created.clone())
            } else {
                Outcome::pending(format!("waiting for {} to show in the cache", target.name))
            })
        })
    }

    /// Creates the ReplicaSet unless this task already did; says what it found or did.
    async fn write_replica_set(
        &self,
        target: &ObjectRef,
        spec: &gennaker_app::infrastructure::server_groups::ServerGroupSpec,
        pull_secret: Option<&str>,
    ) -> Result<String, StepError> {
        let (api, connection) = self.replica_sets(target)?;
        let task_id = self.task.id.to_string();
        let ours = |rs: &ReplicaSet| rs.annotations().get(keys::TASK) == Some(&task_id);
        match api
            .get_opt(&target.name)
            .await
            .map_err(api_error("reading ReplicaSets"))?
        {
            // This task made it: on an earlier run of this step (waiting for the cache),
            // or before a restart.
            Some(rs) if ours(&rs) => return Ok(format!("created {}", target.name)),
            Some(_) => {
                return Err(StepError::refused(format!(
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
                .map_err(api_error("reading Services"))?
                .ok_or_else(|| {
                    StepError::refused(format!(
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
        let rs: ReplicaSet = serde_json::from_value(manifest).map_err(|e| {
            StepError::refused(format!("the ReplicaSet Gennaker wrote is not valid: {e}"))
        })?;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PostParams::default()
        };
        match api.create(&params, &rs).await {
            Ok(_) => Ok(format!("created {}", target.name)),
            Err(e) if is_status(&e, 409) => match api.get_opt(&target.name).await {
                Ok(Some(rs)) if ours(&rs) => {
                    Ok(format!("{} was created by this task", target.name))
                }
                _ => Err(StepError::refused(format!(
                    "ReplicaSet {} was created by someone else at the same moment; run the operation again",
                    target.name
                ))),
            },
            Err(e) => Err(api_error(format!("creating {}", target.name))(e)),
        }
    }

    /// Runs `check` against the account's cache, once it can be trusted: an unsynced cache
    /// (just started, or the cluster unreachable) proves nothing, so the step stays pending.
    pub(super) fn check(
        &self,
        connection: &Connection,
        check: impl FnOnce() -> StepResult,
    ) -> StepResult {
        use crate::kubernetes::cache::WatchState;
        match connection.cache.health.summary() {
            WatchState::Healthy => check(),
            WatchState::Syncing => Ok(Outcome::pending("waiting for the cluster cache to load")),
            WatchState::Failing(error) => Ok(Outcome::pending(format!(
                "the cluster is unreachable: {error}"
            ))),
        }
    }

    /// Runs `check` on the cached ReplicaSet of `target` once the cache can be trusted; a
    /// ReplicaSet that is gone fails the step.
    pub(super) fn check_replica_set(
        &self,
        target: &ObjectRef,
        check: impl FnOnce(&kubernetes::cache::Cache, &ReplicaSet) -> StepResult,
    ) -> StepResult {
        let connection = self.connection(&target.account, &target.namespace)?;
        let cache = &connection.cache;
        self.check(connection, || {
            let rs = cache
                .replica_sets
                .get(&target.namespace, &target.name)
                .ok_or_else(|| StepError::refused(format!("{} no longer exists", target.name)))?;
            check(cache, &rs)
        })
    }

    pub(super) fn wait_for_healthy(&self, target: &ObjectRef, replicas: Option<i64>) -> StepResult {
        self.check_replica_set(target, |cache, rs| {
            let desired = i64::from(rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1));
            let pods: Vec<_> = views::owned_pods(cache, rs)
                .into_iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .collect();
            let ready = pods.iter().filter(|p| views::pod_ready(p)).count() as i64;
            let wanted = replicas.unwrap_or(desired);
            let message = format!("{ready} of {wanted} Pods Ready");
            Ok(
                if desired == wanted && ready == wanted && pods.len() as i64 == wanted {
                    Outcome::done(message)
                } else {
                    Outcome::pending(message)
                },
            )
        })
    }

    pub(super) async fn set_traffic(&self, target: &ObjectRef, enabled: bool) -> StepResult {
        self.set_traffic_share(target, enabled, 100).await
    }

    /// Like [`Executor::set_traffic`], for `percentage` % of the Pods (by name, so a larger
    /// share takes the same Pods and more); below 100 the Pod template is left as it is.
    pub(super) async fn set_traffic_share(
        &self,
        target: &ObjectRef,
        enabled: bool,
        percentage: u64,
    ) -> StepResult {
        let (api, connection) = self.replica_sets(target)?;
        let rs = api
            .get(&target.name)
            .await
            .map_err(api_error(format!("reading {}", target.name)))?;
        let services: Api<Service> = Api::namespaced(connection.client.clone(), &target.namespace);
        let mut traffic = BTreeMap::new();
        for name in attached_load_balancers(&rs.metadata) {
            match services
                .get_opt(&name)
                .await
                .map_err(api_error("reading Services"))?
            {
                Some(service) => {
                    traffic.extend(service.spec.and_then(|s| s.selector).unwrap_or_default())
                }
                None if enabled => {
                    return Err(StepError::refused(format!(
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
            return Err(StepError::refused(format!(
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
        if percentage >= 100 {
            let patch = json!({"spec": {"template": {"metadata": {"labels": labels}}}});
            api.patch(&target.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(api_error(format!(
                    "changing {}'s Pod template",
                    target.name
                )))?;
        }
        let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &target.namespace);
        let selector_text = selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        if selector_text.is_empty() {
            return Err(StepError::refused(format!(
                "{} has no matchLabels selector",
                target.name
            )));
        }
        let list = pods
            .list(&ListParams::default().labels(&selector_text))
            .await
            .map_err(api_error("listing Pods"))?;
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let mut owned: Vec<&Pod> = list
            .items
            .iter()
            .filter(|p| p.owner_references().iter().any(|o| o.uid == uid))
            .collect();
        owned.sort_by_key(|p| p.name_any());
        let share = (owned.len() as u64 * percentage.min(100)).div_ceil(100) as usize;
        let mut patched = 0;
        for pod in owned.into_iter().take(share) {
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
                Err(e) => return Err(api_error(format!("relabelling Pod {}", pod.name_any()))(e)),
            }
        }
        Ok(Outcome::done(format!(
            "{} {} Pods of {}",
            if enabled { "enabled" } else { "disabled" },
            patched,
            target.name
        )))
    }

    pub(super) fn wait_for_traffic(&self, target: &ObjectRef, enabled: bool) -> StepResult {
        self.check_replica_set(target, |cache, rs| {
            let pods: Vec<String> = views::owned_pods(cache, rs)
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
            let message = format!("{routed} of {expected} Pod endpoints routed");
            let finished = if enabled {
                routed == expected
            } else {
                routed == 0
            };
            Ok(if finished {
                Outcome::done(message)
            } else {
                Outcome::pending(message)
            })
        })
    }

    pub(super) async fn wait_for_deleted(
        &self,
        account: &str,
        namespace: &str,
        api_version: &str,
        kind: &str,
        name: &str,
    ) -> StepResult {
        let connection = self.connection(account, namespace)?;
        let cache = &connection.cache;
        let outcome = |gone: bool| {
            Ok(if gone {
                Outcome::done(format!("{kind} {name} is gone"))
            } else {
                Outcome::pending(format!("{name} is being deleted"))
            })
        };
        match kind {
            "ReplicaSet" => self.check(connection, || {
                outcome(cache.replica_sets.get(namespace, name).is_none())
            }),
            "Service" => self.check(connection, || {
                outcome(cache.services.get(namespace, name).is_none())
            }),
            "NetworkPolicy" => self.check(connection, || {
                outcome(cache.network_policies.get(namespace, name).is_none())
            }),
            _ => {
                let resolved = manifests::resolve(
                    &manifests::discover(&connection.client).await?,
                    Some(api_version),
                    kind,
                )?;
                let api: Api<DynamicObject> =
                    Api::namespaced_with(connection.client.clone(), namespace, &resolved.resource);
                let found = api
                    .get_opt(name)
                    .await
                    .map_err(api_error(format!("reading {kind} {name}")))?;
                outcome(found.is_none())
            }
        }
    }

    async fn dynamic(&self, target: &ManifestRef) -> Result<Api<DynamicObject>, StepError> {
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
    pub(super) async fn apply(
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

    async fn delete(&self, target: &ManifestRef) -> StepResult {
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

    /// Replaces the Deployment's Pod template with revision `revision`'s. The Deployment
    /// controller writes the object between our read and our replace now and then; the
    /// replace is then refused for a stale resourceVersion (409), which the runner retries.
    /// The Deployment and the ReplicaSets it owns, each with its revision, newest first.
    pub(super) async fn revisions(
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

    async fn undo_rollout(&self, deployment: &ObjectRef, revision: i64) -> StepResult {
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
    pub(super) async fn roll_back_to(
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
