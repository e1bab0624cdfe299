//! What each step does, run once. Every step is idempotent: a task resumed after a crash runs
//! its current step again, so a step first looks whether its change is already there. A
//! waiting step reads the watch-fed cache and says "not yet" ([`Outcome::Pending`]); the runner
//! runs it again when the cache changes.
//!
//! [`Executor::run`] picks the step's code, which lives by family: [`server_group`] (create,
//! resize, traffic, delete a ReplicaSet), [`manifest`] (objects by kind), [`artifact`] (manifests
//! read from an artifact), [`cluster`] (a cluster's
//! other server groups: Highlander, Red/Black, cleanup), [`rolling`] (Rolling Red/Black),
//! [`target`] (picking a server group), [`job`] (Run Job, Script), [`jenkins`], [`stage`]
//! (Wait, Manual Judgment, webhooks, Pipeline stages, windows).

mod artifact;
mod bake;
mod cluster;
mod executor;
pub mod jenkins;
pub mod job;
mod manifest;
#[cfg(test)]
mod mocked_api;
mod rolling;
mod selected;
mod server_group;
pub mod stage;
mod target;
mod versioned;

use gennaker_core::tasks::model::{ClusterCleanup, StepAction};
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::tasks::outcome::{Outcome, StepError};

pub use executor::{
    ChildError, ChildPipelines, DEPLOYED_OUTPUT, Executor, FIELD_MANAGER, Progress, StepResult,
};
pub(in crate::tasks) use executor::{api_error, is_status};

impl Executor<'_> {
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
                    .map_err(|e| StepError::refused(e.to_string()))?;
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
            StepAction::ApplyArtifact {
                account,
                namespace,
                namespace_override,
                artifact,
                evaluate_expressions,
                required,
                optional,
                traffic,
            } => {
                self.apply_artifact(artifact::FromArtifact {
                    account,
                    namespace,
                    namespace_override: namespace_override.as_deref(),
                    artifact,
                    evaluate_expressions: *evaluate_expressions,
                    required,
                    optional,
                    traffic: traffic.as_ref(),
                })
                .await
            }
            StepAction::ApplyVersioned {
                account,
                namespace,
                documents,
                traffic,
            } => {
                self.apply_recorded(account, namespace, documents.clone(), Some(traffic))
                    .await
            }
            StepAction::ManifestStrategy { account, strategy } => {
                self.manifest_strategy(account, *strategy).await
            }
            StepAction::WaitForApplied { account, namespace } => {
                self.wait_for_applied(account, namespace).await
            }
            StepAction::BakeManifest { bake } => self.bake_manifest(bake).await,
            StepAction::Delete { target } => self.delete(target).await,
            StepAction::RollingRestart {
                target,
                restarted_at,
            } => self.rolling_restart(target, restarted_at).await,
            StepAction::Scale { target, replicas } => self.scale(target, *replicas).await,
            StepAction::SelectManifests {
                account,
                namespace,
                selector,
            } => self.select_manifests(account, namespace, selector).await,
            StepAction::ForSelected {
                account,
                namespace,
                act,
            } => self.for_selected(account, namespace, act).await,
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
}
