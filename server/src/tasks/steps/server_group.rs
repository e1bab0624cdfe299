//! The steps of one server group (a ReplicaSet): choosing its name, creating it, resizing it,
//! putting it into and out of its load balancers, waiting for it to be healthy, deleting it.

use std::collections::BTreeMap;

use gennaker_core::infrastructure::names::{MAX_SEQUENCE, keys, server_group_name, split_version};
use gennaker_core::infrastructure::server_groups::ObjectRef;
use gennaker_core::tasks::model::{Outputs, SERVER_GROUP_OUTPUT, Target};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::executor::{DEPLOYED_OUTPUT, Executor, FIELD_MANAGER, StepResult, api_error, is_status};
use crate::kubernetes::moniker::{attached_load_balancers, moniker_of};
use crate::kubernetes::{self, Connection, manifests, views};
use crate::tasks::outcome::{Outcome, StepError};

impl Executor<'_> {
    /// Picks the next free version from the live list. Run again after a crash it picks the
    /// same name, as the ReplicaSet is created by a later step.
    pub(in crate::tasks) async fn choose_name(
        &self,
        account: &str,
        namespace: &str,
        cluster: &str,
    ) -> StepResult {
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
    pub(in crate::tasks) async fn create_replica_set(
        &self,
        spec: &gennaker_core::infrastructure::server_groups::ServerGroupSpec,
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
        spec: &gennaker_core::infrastructure::server_groups::ServerGroupSpec,
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
        let traffic = self
            .service_selectors(connection, &spec.namespace, &spec.load_balancers, |name| {
                format!(
                    "load balancer {name} no longer exists in {}",
                    spec.namespace
                )
            })
            .await?;
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

    /// The selector labels of the Services `names` in `namespace`, merged: the labels a Pod
    /// needs to be behind all of them. A Service that is not there is refused with `missing`'s
    /// message, one without a selector (it selects no Pods) naming it.
    pub(in crate::tasks) async fn service_selectors(
        &self,
        connection: &Connection,
        namespace: &str,
        names: &[String],
        missing: impl Fn(&str) -> String,
    ) -> Result<BTreeMap<String, String>, StepError> {
        let services: Api<Service> = Api::namespaced(connection.client.clone(), namespace);
        let mut labels = BTreeMap::new();
        for name in names {
            let service = services
                .get_opt(name)
                .await
                .map_err(api_error("reading Services"))?
                .ok_or_else(|| StepError::refused(missing(name)))?;
            let selector = service.spec.and_then(|s| s.selector).unwrap_or_default();
            if selector.is_empty() {
                return Err(StepError::refused(format!(
                    "Service {name} has no selector, so no Pods can be put behind it"
                )));
            }
            labels.extend(selector);
        }
        Ok(labels)
    }

    /// Runs `check` against the account's cache, once it can be trusted: an unsynced cache
    /// (just started, or the cluster unreachable) proves nothing, so the step stays pending.
    pub(in crate::tasks) fn check(
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
    pub(in crate::tasks) fn check_replica_set(
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

    pub(in crate::tasks) fn wait_for_healthy(
        &self,
        target: &ObjectRef,
        replicas: Option<i64>,
    ) -> StepResult {
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

    pub(in crate::tasks) async fn set_traffic(
        &self,
        target: &ObjectRef,
        enabled: bool,
    ) -> StepResult {
        self.set_traffic_share(target, enabled, 100).await
    }

    /// Like [`Executor::set_traffic`], for `percentage` % of the Pods (by name, so a larger
    /// share takes the same Pods and more); below 100 the Pod template is left as it is.
    pub(in crate::tasks) async fn set_traffic_share(
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

    pub(in crate::tasks) fn wait_for_traffic(
        &self,
        target: &ObjectRef,
        enabled: bool,
    ) -> StepResult {
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

    pub(in crate::tasks) async fn wait_for_deleted(
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
}
