//! Steps of the stages that act on one server group of a cluster, picked when the stage runs
//! (the newest, the previous, the oldest, the largest, or one by name), of Find Image from
//! Cluster, and of Undo Rollout by a number of revisions. What is picked is recorded in the
//! task's outputs by a step that changes nothing, so the steps that act after it are fixed even
//! when a restart runs them again.

use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{
    ImagePick, Outputs, PICKED_OUTPUT, Resize, ServerGroupPick, Target,
};
use serde_json::{Value, json};

use super::cluster::Member;
use super::executor::{Executor, StepResult};
use crate::kubernetes::moniker::application_of;
use crate::tasks::outcome::{Outcome, StepError};

/// The output holding the replicas the picked server group asked for when it was picked.
const ORIGINAL_CAPACITY: &str = "originalCapacity";
/// The output recording the ReplicaSet an Undo Rollout goes back to.
const UNDO_OUTPUT: &str = "undoRollout";

impl Executor<'_> {
    /// The server group `pick` names in the cluster, now.
    fn picked(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        pick: &ServerGroupPick,
    ) -> Result<ObjectRef, StepError> {
        let target = |name: &str| ObjectRef {
            account: account.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        if let ServerGroupPick::Named { name } = pick {
            let cache = &self.connection(account, namespace)?.cache;
            let rs = cache.replica_sets.get(namespace, name).ok_or_else(|| {
                StepError::refused(format!(
                    "there is no server group {name} in {account}/{namespace}"
                ))
            })?;
            if application_of(&rs.metadata).as_deref() != Some(self.task.application.as_str()) {
                return Err(StepError::refused(format!(
                    "server group {name} does not belong to application {}",
                    self.task.application
                )));
            }
            return Ok(target(name));
        }
        let members = self.members_except(account, namespace, cluster, None)?;
        let chosen: Option<&Member> = match pick {
            ServerGroupPick::Newest => members.first(),
            ServerGroupPick::Previous => members.get(1),
            ServerGroupPick::Oldest => members.last(),
            // The first of the largest: members are newest first.
            ServerGroupPick::Largest => members.iter().min_by_key(|m| std::cmp::Reverse(m.desired)),
            ServerGroupPick::Named { .. } => None,
        };
        match chosen {
            Some(member) => Ok(member.target.clone()),
            None if members.len() == 1 => Err(StepError::refused(format!(
                "cluster {cluster} has only one server group ({}), so there is no previous one",
                members[0].target.name
            ))),
            None => Err(StepError::refused(format!(
                "cluster {cluster} has no server group in {account}/{namespace}"
            ))),
        }
    }

    /// Picks the stage's server group and records it with the replicas it asks for.
    pub(in crate::tasks) fn pick_server_group(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        pick: &ServerGroupPick,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let target = self.picked(account, namespace, cluster, pick)?;
        let cache = &self.connection(account, namespace)?.cache;
        let desired = cache
            .replica_sets
            .get(namespace, &target.name)
            .and_then(|rs| rs.spec.as_ref().and_then(|s| s.replicas))
            .unwrap_or(1);
        let mut outputs = Outputs::new();
        outputs.insert(PICKED_OUTPUT.into(), json!(target.name));
        outputs.insert(ORIGINAL_CAPACITY.into(), json!({"desired": desired}));
        Ok(Outcome::Done {
            message: format!("picked {} ({desired} replicas)", target.name),
            outputs,
        })
    }

    /// Resizes the server group from the count recorded when it was picked, so a second run
    /// asks for the same count.
    pub(in crate::tasks) async fn resize_server_group(
        &self,
        target: &Target,
        resize: Resize,
    ) -> StepResult {
        let target = self.resolve(target)?;
        let before = self
            .task
            .outputs
            .get(ORIGINAL_CAPACITY)
            .and_then(|c| c.get("desired"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let replicas = resize.apply(before);
        self.resize_to(&target, replicas).await?;
        let mut outputs = Outputs::new();
        outputs.insert("capacity".into(), json!({"desired": replicas}));
        Ok(Outcome::Done {
            message: format!(
                "{} asks for {replicas} replicas (was {before})",
                target.name
            ),
            outputs,
        })
    }

    /// Find Image from Cluster: the image(s) of the newest, largest or oldest (enabled)
    /// server group, as Spinnaker's `deploymentDetails`.
    pub(in crate::tasks) fn find_image(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
        pick: ImagePick,
        only_enabled: bool,
    ) -> StepResult {
        if let Some(pending) = self.cache_ready(account, namespace)? {
            return Ok(pending);
        }
        let members: Vec<Member> = self
            .members_except(account, namespace, cluster, None)?
            .into_iter()
            .filter(|m| !only_enabled || !m.disabled)
            .collect();
        let which = if only_enabled {
            "enabled server group"
        } else {
            "server group"
        };
        let chosen = match pick {
            ImagePick::Newest => members.first(),
            ImagePick::Oldest => members.last(),
            ImagePick::Largest => members.iter().min_by_key(|m| std::cmp::Reverse(m.desired)),
            ImagePick::Fail => {
                let mut images: Vec<&str> = members
                    .iter()
                    .flat_map(|m| m.images.iter().map(|(_, image)| image.as_str()))
                    .collect();
                images.sort_unstable();
                images.dedup();
                if images.len() > 1 {
                    return Err(StepError::refused(format!(
                        "cluster {cluster} runs more than one image: {}",
                        images.join(", ")
                    )));
                }
                members.first()
            }
        }
        .ok_or_else(|| {
            StepError::refused(format!(
                "cluster {cluster} has no {which} in {account}/{namespace}"
            ))
        })?;
        let details: Vec<Value> = chosen
            .images
            .iter()
            .map(|(container, image)| {
                json!({
                    "imageId": image, "ami": image, "imageName": image, "container": container,
                    "cloudProvider": "kubernetes", "account": account, "namespace": namespace,
                    "region": namespace, "cluster": cluster,
                    "sourceServerGroup": chosen.target.name,
                })
            })
            .collect();
        let images: Vec<&str> = chosen.images.iter().map(|(_, i)| i.as_str()).collect();
        let mut outputs = Outputs::new();
        outputs.insert("deploymentDetails".into(), Value::Array(details));
        Ok(Outcome::Done {
            message: format!("{} runs {}", chosen.target.name, images.join(", ")),
            outputs,
        })
    }

    /// Records the ReplicaSet `revisions_back` revisions before the Deployment's current one.
    pub(in crate::tasks) async fn choose_revision(
        &self,
        deployment: &ObjectRef,
        revisions_back: u64,
    ) -> StepResult {
        let (_, owned) = self.revisions(deployment).await?;
        let back = usize::try_from(revisions_back).unwrap_or(usize::MAX);
        let Some((revision, rs)) = owned.get(back) else {
            return Err(StepError::refused(format!(
                "Deployment {} has {} revision(s), so it cannot go {revisions_back} back",
                deployment.name,
                owned.len()
            )));
        };
        let current = owned.first().map_or(0, |(r, _)| *r);
        let name = rs.metadata.name.clone().unwrap_or_default();
        let mut outputs = Outputs::new();
        outputs.insert(
            UNDO_OUTPUT.into(),
            json!({"replicaSet": name, "revision": revision, "fromRevision": current}),
        );
        Ok(Outcome::Done {
            message: format!("revision {revision} ({name}); the current one is {current}"),
            outputs,
        })
    }

    /// Rolls the Deployment back to the template of the ReplicaSet `choose_revision` recorded.
    pub(in crate::tasks) async fn undo_rollout_chosen(&self, deployment: &ObjectRef) -> StepResult {
        let chosen = self
            .task
            .outputs
            .get(UNDO_OUTPUT)
            .and_then(|u| u.get("replicaSet"))
            .and_then(Value::as_str)
            .ok_or_else(|| StepError::refused("no revision was chosen by an earlier step"))?;
        let (current, owned) = self.revisions(deployment).await?;
        let Some((_, source)) = owned
            .iter()
            .find(|(_, rs)| rs.metadata.name.as_deref() == Some(chosen))
        else {
            return Err(StepError::refused(format!(
                "ReplicaSet {chosen} of Deployment {} is gone",
                deployment.name
            )));
        };
        self.roll_back_to(
            deployment,
            current,
            source,
            &format!("the template of {chosen}"),
        )
        .await
    }
}
