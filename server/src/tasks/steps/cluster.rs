//! Steps that act on a whole cluster rather than one server group: what a Deploy stage's
//! strategy does once the new server group is healthy (Highlander destroys the others,
//! Red/Black disables them, shrinks the cluster and scales the disabled ones down), its
//! rollback, Check Preconditions' cluster size, and waiting for applied manifests.
//!
//! "The others" are the cluster's server groups except the one this task created; they are
//! read from the cache when the step runs, which is what Spinnaker does too. Each step only
//! does what is not done yet, so running it again after a restart changes nothing twice.

use std::sync::Arc;

use gennaker_core::infrastructure::server_groups::{ObjectRef, Rollout};
use gennaker_core::tasks::model::{ClusterCleanup, ManifestRef};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::json;

use super::executor::{Executor, StepResult, api_error, is_status};
use crate::kubernetes::cache::Cache;
use crate::kubernetes::moniker::moniker_of;
use crate::kubernetes::{manifests, views};
use crate::tasks::outcome::{Outcome, StepError};

/// A server group of the cluster, as the strategies and the cluster stages see it.
pub(in crate::tasks) struct Member {
    pub(in crate::tasks) target: ObjectRef,
    pub(in crate::tasks) sequence: u32,
    pub(in crate::tasks) disabled: bool,
    pub(in crate::tasks) desired: i32,
    /// Its Pods that are Ready.
    pub(in crate::tasks) ready: i32,
    /// Its containers' names and images.
    pub(in crate::tasks) images: Vec<(String, String)>,
}

/// "Destroyed web-v000 (was serving 2 Pods)": what deleting `member` does, said before.
fn destroyed(member: &Member) -> String {
    let pods = match member.ready {
        1 => "1 Pod".to_string(),
        n => format!("{n} Pods"),
    };
    let doing = if member.disabled {
        format!("disabled, {pods} Ready")
    } else {
        format!("was serving {pods}")
    };
    format!("Destroyed {} ({doing})", member.target.name)
}

impl Executor<'_> {
    /// The cluster's server groups but the one this task created, newest first.
    fn others(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> Result<Vec<Member>, StepError> {
        self.members_except(
            account,
            namespace,
            cluster,
            self.task.created_server_group(),
        )
    }

    /// The cluster's server groups but `except`, newest first.
    pub(in crate::tasks) fn members_except(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        except: Option<&str>,
    ) -> Result<Vec<Member>, StepError> {
        let connection = self.connection(account, namespace)?;
        let created = except;
        let cache: &Cache = &connection.cache;
        let mut members: Vec<Member> = cache
            .replica_sets
            .in_namespace(namespace)
            .into_iter()
            .filter(|rs: &Arc<ReplicaSet>| rs.metadata.deletion_timestamp.is_none())
            .filter_map(|rs| {
                let moniker = moniker_of(&rs.metadata)?;
                let name = rs.name_any();
                (moniker.cluster == cluster && Some(name.as_str()) != created).then(|| Member {
                    target: ObjectRef {
                        account: account.to_string(),
                        namespace: namespace.to_string(),
                        name,
                    },
                    sequence: moniker.sequence.unwrap_or(0),
                    disabled: views::is_disabled(cache, &rs),
                    desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
                    ready: rs
                        .status
                        .as_ref()
                        .and_then(|s| s.ready_replicas)
                        .unwrap_or(0),
                    images: views::containers(&rs),
                })
            })
            .collect();
        members.sort_by_key(|m| std::cmp::Reverse(m.sequence));
        Ok(members)
    }

    async fn delete_replica_set(&self, target: &ObjectRef) -> Result<(), StepError> {
        let (api, _) = self.replica_sets(target)?;
        match api.delete(&target.name, &DeleteParams::foreground()).await {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(e) => Err(api_error(format!("deleting {}", target.name))(e)),
        }
    }

    pub(in crate::tasks) async fn resize_to(
        &self,
        target: &ObjectRef,
        replicas: i64,
    ) -> Result<(), StepError> {
        let (api, _) = self.replica_sets(target)?;
        api.patch(
            &target.name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        )
        .await
        .map_err(api_error(format!("resizing {}", target.name)))?;
        Ok(())
    }

    pub(in crate::tasks) fn cache_ready(
        &self,
        account: &str,
        namespace: &str,
    ) -> Result<Option<Outcome>, StepError> {
        let connection = self.connection(account, namespace)?;
        match self.check(connection, || Ok(Outcome::done("")))? {
            Outcome::Done { .. } => Ok(None),
            pending => Ok(Some(pending)),
        }
    }

    /// Deletes the ReplicaSets of `members`, each recorded first with what it was doing;
    /// runs again until they are gone.
    async fn delete_all(&self, members: &[Member]) -> StepResult {
        let records = members
            .iter()
            .filter(|m| !self.step.did.contains_key(&m.target.name))
            .map(|m| (m.target.name.clone(), destroyed(m)))
            .collect::<Vec<_>>();
        if !records.is_empty() {
            self.progress
                .did(records)
                .await
                .map_err(StepError::Unrecorded)?;
        }
        let mut names = Vec::new();
        for member in members {
            self.delete_replica_set(&member.target).await?;
            names.push(member.target.name.as_str());
        }
        Ok(Outcome::pending(format!("deleting {}", names.join(", "))))
    }

    /// Done: what earlier runs destroyed, by name (in the message and in the outputs as
    /// `destroyedServerGroups`), or `nothing` when they destroyed nothing.
    fn destroyed_so_far(&self, nothing: String) -> Outcome {
        if self.step.did.is_empty() {
            return Outcome::done(nothing);
        }
        let mut outputs = gennaker_core::tasks::model::Outputs::new();
        outputs.insert(
            "destroyedServerGroups".into(),
            json!(self.step.did.keys().collect::<Vec<_>>()),
        );
        Outcome::Done {
            message: self
                .step
                .did
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
            outputs,
        }
    }

    /// Highlander: deletes every other server group, then waits until they are gone.
    pub(in crate::tasks) async fn destroy_others(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let others = self.others(account, namespace, cluster)?;
        if others.is_empty() {
            return Ok(self.destroyed_so_far(format!("{cluster} has no other server group")));
        }
        self.delete_all(&others).await
    }

    /// Red/Black: takes every other enabled server group out of its load balancers, then
    /// waits until none of their Pods gets traffic.
    pub(in crate::tasks) async fn disable_others(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let others = self.others(account, namespace, cluster)?;
        for member in others.iter().filter(|m| !m.disabled) {
            self.set_traffic(&member.target, false).await?;
        }
        let mut routed = Vec::new();
        for member in &others {
            if let Outcome::Pending { message } = self.wait_for_traffic(&member.target, false)? {
                routed.push(format!("{} ({message})", member.target.name));
            }
        }
        if routed.is_empty() {
            let names: Vec<&str> = others.iter().map(|m| m.target.name.as_str()).collect();
            Ok(Outcome::done(if names.is_empty() {
                format!("{cluster} has no other server group to disable")
            } else {
                format!("Disabled {} (no traffic reaches them)", names.join(", "))
            }))
        } else {
            Ok(Outcome::pending(format!(
                "waiting for the load balancers to drop {}",
                routed.join(", ")
            )))
        }
    }

    /// The server groups `cleanup` does not keep, in the order it keeps them: larger first
    /// with `prefer_larger`, active ones first when active ones may go too, then newest. The
    /// server groups it excludes (and the one this task created) count as kept and are never
    /// among them; nor is an active one unless `allow_active`.
    fn excess(&self, cleanup: &ClusterCleanup) -> Result<Vec<Member>, StepError> {
        let ClusterCleanup {
            account,
            namespace,
            cluster,
            ..
        } = cleanup;
        let created = self.task.created_server_group();
        let spared =
            |name: &str| Some(name) == created || cleanup.exclude.iter().any(|e| e == name);
        let all = self.members_except(account, namespace, cluster, None)?;
        let spared_count = all.iter().filter(|m| spared(&m.target.name)).count() as u64;
        let mut rest: Vec<Member> = all
            .into_iter()
            .filter(|m| !spared(&m.target.name))
            .collect();
        rest.sort_by_key(|m| {
            (
                cleanup.allow_active && m.disabled,
                std::cmp::Reverse(if cleanup.prefer_larger { m.desired } else { 0 }),
                std::cmp::Reverse(m.sequence),
            )
        });
        let keep = usize::try_from(cleanup.keep.saturating_sub(spared_count)).unwrap_or(usize::MAX);
        Ok(rest
            .into_iter()
            .skip(keep)
            .filter(|m| cleanup.allow_active || m.disabled)
            .collect())
    }

    /// Shrink Cluster (and Red/Black's server groups to keep): deletes the server groups
    /// beyond those kept; runs again until they are gone.
    pub(in crate::tasks) async fn delete_excess(&self, cleanup: &ClusterCleanup) -> StepResult {
        if let Some(pending) = self.cache_ready(&cleanup.account, &cleanup.namespace)? {
            return Ok(pending);
        }
        let doomed = self.excess(cleanup)?;
        if doomed.is_empty() {
            return Ok(self.destroyed_so_far(format!(
                "{} keeps at most {} server group(s)",
                cleanup.cluster, cleanup.keep
            )));
        }
        self.delete_all(&doomed).await
    }

    /// Scale Down Cluster: resizes the server groups beyond those kept to 0.
    pub(in crate::tasks) async fn scale_down_excess(&self, cleanup: &ClusterCleanup) -> StepResult {
        if let Some(pending) = self.cache_ready(&cleanup.account, &cleanup.namespace)? {
            return Ok(pending);
        }
        let mut resized = Vec::new();
        for member in self.excess(cleanup)?.iter().filter(|m| m.desired > 0) {
            self.resize_to(&member.target, 0).await?;
            resized.push(member.target.name.clone());
        }
        let mut outputs = gennaker_core::tasks::model::Outputs::new();
        outputs.insert("scaledDown".into(), json!(resized));
        Ok(Outcome::Done {
            message: if resized.is_empty() {
                format!("{} has nothing to scale down", cleanup.cluster)
            } else {
                format!("Scaled {} down to 0 Pods", resized.join(", "))
            },
            outputs,
        })
    }

    /// Red/Black's scale down: resizes the other, disabled, server groups to 0.
    pub(in crate::tasks) async fn scale_down_others(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let others = self.others(account, namespace, cluster)?;
        let mut resized = Vec::new();
        for member in others.iter().filter(|m| m.disabled && m.desired > 0) {
            self.resize_to(&member.target, 0).await?;
            resized.push(member.target.name.as_str());
        }
        Ok(Outcome::done(if resized.is_empty() {
            "no disabled server group to scale down".to_string()
        } else {
            format!("Scaled {} down to 0 Pods", resized.join(", "))
        }))
    }

    /// The rollback of a Red/Black deploy whose new server group (`failed`) never got
    /// healthy: the newest other server group is enabled again (and sized back up if it was
    /// scaled down), `failed` disabled and resized to 0; done once the restored one gets
    /// traffic.
    pub(in crate::tasks) async fn roll_back(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        failed: &str,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let others = self.members_except(account, namespace, cluster, Some(failed))?;
        let Some(previous) = others.first() else {
            return Err(StepError::refused(format!(
                "{cluster} has no earlier server group to roll back to"
            )));
        };
        if previous.desired == 0 {
            self.resize_to(&previous.target, 1).await?;
        }
        // All of it: Rolling Red/Black may have taken only some of its Pods out.
        self.set_traffic(&previous.target, true).await?;
        let failed = ObjectRef {
            account: account.to_string(),
            namespace: namespace.to_string(),
            name: failed.to_string(),
        };
        let cache = &self.connection(account, namespace)?.cache;
        if let Some(rs) = cache.replica_sets.get(namespace, &failed.name) {
            if !views::is_disabled(cache, &rs) {
                self.set_traffic(&failed, false).await?;
            }
            if rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) > 0 {
                self.resize_to(&failed, 0).await?;
            }
        }
        match self.wait_for_traffic(&previous.target, true)? {
            Outcome::Done { message, .. } => Ok(Outcome::done(format!(
                "{} serves again ({message})",
                previous.target.name
            ))),
            Outcome::Pending { message } => Ok(Outcome::pending(format!(
                "waiting for {} to get traffic ({message})",
                previous.target.name
            ))),
            other => Ok(other),
        }
    }

    /// Check Preconditions' cluster size: the number of (enabled) server groups compared with
    /// `expected`.
    pub(in crate::tasks) fn check_cluster_size(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        comparison: &str,
        expected: u64,
        only_enabled: bool,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let size = self
            .others(account, namespace, cluster)?
            .iter()
            .filter(|m| !only_enabled || !m.disabled)
            .count() as u64;
        let holds = match comparison {
            "<" => size < expected,
            ">" => size > expected,
            "<=" => size <= expected,
            ">=" => size >= expected,
            _ => size == expected,
        };
        let what = if only_enabled {
            "enabled server groups"
        } else {
            "server groups"
        };
        let message = format!("{cluster} has {size} {what} (expected {comparison} {expected})");
        if holds {
            Ok(Outcome::done(message))
        } else {
            Err(StepError::refused(message))
        }
    }

    /// Waits until every applied object exists and, for a Deployment, has rolled out.
    pub(in crate::tasks) async fn wait_for_manifests(
        &self,
        account: &str,
        namespace: &str,
        objects: &[ManifestRef],
    ) -> StepResult {
        let connection = self.connection(account, namespace)?;
        let mut waiting = Vec::new();
        let discovery = manifests::discover(&connection.client).await?;
        for object in objects {
            let resolved = manifests::resolve(&discovery, None, &object.kind)?;
            if resolved.resource.kind == "Deployment" {
                let api: Api<Deployment> =
                    Api::namespaced(connection.client.clone(), &object.namespace);
                match api
                    .get_opt(&object.name)
                    .await
                    .map_err(api_error(format!("reading Deployment {}", object.name)))?
                {
                    Some(deployment) => match views::rollout(&deployment) {
                        Rollout::Complete => {}
                        Rollout::Failed(reason) => {
                            return Err(StepError::refused(format!(
                                "Deployment {} failed to roll out: {reason}",
                                object.name
                            )));
                        }
                        other => {
                            waiting.push(format!("Deployment {} ({})", object.name, other.label()))
                        }
                    },
                    None => waiting.push(format!("Deployment {}", object.name)),
                }
                continue;
            }
            let api: Api<DynamicObject> = if resolved.namespaced {
                Api::namespaced_with(
                    connection.client.clone(),
                    &object.namespace,
                    &resolved.resource,
                )
            } else {
                Api::all_with(connection.client.clone(), &resolved.resource)
            };
            if api
                .get_opt(&object.name)
                .await
                .map_err(api_error(format!(
                    "reading {} {}",
                    object.kind, object.name
                )))?
                .is_none()
            {
                waiting.push(format!("{} {}", object.kind, object.name));
            }
        }
        if waiting.is_empty() {
            Ok(Outcome::done(format!("{} object(s) stable", objects.len())))
        } else {
            Ok(Outcome::pending(format!(
                "waiting for {}",
                waiting.join(", ")
            )))
        }
    }
}
