//! The in-memory view of one account's cluster, kept current by kube-rs watchers (no polling):
//! ReplicaSets, Deployments, Pods, Services, EndpointSlices, NetworkPolicies and Jobs, in every
//! namespace the account may use. Each watcher reports into the account's [`Health`] and
//! publishes a [`Change`] for every object event.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use gennaker_core::tasks::policy::RetryPolicy;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::moniker::application_of;
use crate::events::{Change, EventBus};

/// The namespaces an account watches: all of them, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Namespaces(Vec<String>),
}

/// One kind of object, across the account's namespaces.
pub struct Kind<K: Resource + 'static>
where
    K::DynamicType: Eq + Hash + Clone,
{
    stores: Vec<Store<K>>,
}

impl<K> Kind<K>
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone + Default,
{
    /// Every object, in no particular order.
    pub fn all(&self) -> Vec<Arc<K>> {
        self.stores.iter().flat_map(|s| s.state()).collect()
    }

    /// The objects in `namespace`.
    pub fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.stores
            .iter()
            .flat_map(|s| s.state_filter(|o| o.meta().namespace.as_deref() == Some(namespace)))
            .collect()
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = reflector::ObjectRef::new(name).within(namespace);
        self.stores.iter().find_map(|s| s.get(&key))
    }
}

/// How an account's watchers are doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchState {
    /// Listing for the first time.
    Syncing,
    Healthy,
    /// The last attempt failed with this error; the watcher keeps retrying.
    Failing(String),
}

/// The health of one account: one [`WatchState`] per watcher, and a signal that wakes every
/// failing watcher at once when the API server answers again.
pub struct Health {
    account: String,
    watchers: Mutex<BTreeMap<String, WatchState>>,
    events: EventBus,
    recovered: tokio::sync::Notify,
}

impl Health {
    fn new(account: &str, events: EventBus) -> Health {
        Health {
            account: account.to_string(),
            watchers: Mutex::new(BTreeMap::new()),
            events,
            recovered: tokio::sync::Notify::new(),
        }
    }

    fn set(&self, watcher: &str, state: WatchState) {
        let changed = {
            let Ok(mut watchers) = self.watchers.lock() else {
                return;
            };
            let old = watchers.insert(watcher.to_string(), state.clone());
            match (&old, &state) {
                (Some(WatchState::Failing(_)), WatchState::Failing(_)) => false,
                (old, new) => old.as_ref() != Some(new),
            }
        };
        if changed {
            match &state {
                WatchState::Failing(error) => {
                    tracing::warn!(account = %self.account, watcher, "watch failing: {error}")
                }
                WatchState::Healthy => {
                    tracing::debug!(account = %self.account, watcher, "watch healthy")
                }
                WatchState::Syncing => {}
            }
            self.events.publish(Change::Accounts);
        }
    }

    /// The account's state: failing if any watcher fails, syncing until all have listed.
    pub fn summary(&self) -> WatchState {
        let Ok(watchers) = self.watchers.lock() else {
            return WatchState::Failing("the health record is unavailable".into());
        };
        if let Some(error) = watchers.values().find_map(|s| match s {
            WatchState::Failing(e) => Some(e.clone()),
            _ => None,
        }) {
            return WatchState::Failing(error);
        }
        if watchers.is_empty() || watchers.values().any(|s| *s == WatchState::Syncing) {
            return WatchState::Syncing;
        }
        WatchState::Healthy
    }
}

/// Retry delays of a failing watcher: 250 ms, doubling, never more than a second, so a cache
/// catches up within a second or two of the API server coming back (kube-rs' default grows to
/// 30 s, and after an outage of a quarter minute the cache lagged by as much). It never stops.
pub const RETRY: RetryPolicy = RetryPolicy {
    attempts: u32::MAX,
    first: Duration::from_millis(250),
    max: Duration::from_secs(1),
};
/// How often an account whose watchers fail asks the API server whether it is back.
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// Everything cached for one account.
pub struct Cache {
    pub replica_sets: Kind<ReplicaSet>,
    pub deployments: Kind<Deployment>,
    pub pods: Kind<Pod>,
    pub services: Kind<Service>,
    pub endpoint_slices: Kind<EndpointSlice>,
    pub network_policies: Kind<NetworkPolicy>,
    pub jobs: Kind<Job>,
    /// Only watched when the account may use all namespaces.
    namespaces: Option<Store<Namespace>>,
    scope: Scope,
    pub health: Arc<Health>,
}

impl Cache {
    /// Starts the watchers; the cache fills as they list.
    pub fn start(account: &str, client: Client, scope: Scope, events: EventBus) -> Cache {
        let health = Arc::new(Health::new(account, events.clone()));
        let watch = Watch {
            account: account.to_string(),
            client: client.clone(),
            scope: scope.clone(),
            health: health.clone(),
            events,
        };
        let namespaces = (scope == Scope::All).then(|| {
            let (reader, writer) = reflector::store();
            watch.spawn("namespaces", Api::<Namespace>::all(client.clone()), writer);
            reader
        });
        probe_while_failing(account, client, health.clone());
        Cache {
            replica_sets: watch.kind("replicasets"),
            deployments: watch.kind("deployments"),
            pods: watch.kind("pods"),
            services: watch.kind("services"),
            endpoint_slices: watch.kind("endpointslices"),
            network_policies: watch.kind("networkpolicies"),
            jobs: watch.kind("jobs"),
            namespaces,
            scope,
            health,
        }
    }

    /// The namespaces a user may choose: the configured list, or those the cluster has.
    pub fn namespaces(&self) -> Vec<String> {
        let mut names = match (&self.scope, &self.namespaces) {
            (Scope::Namespaces(list), _) => list.clone(),
            (Scope::All, Some(store)) => store.state().iter().map(|n| n.name_any()).collect(),
            (Scope::All, None) => Vec::new(),
        };
        names.sort();
        names
    }

    /// Whether the account may use `namespace`.
    pub fn allows(&self, namespace: &str) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Namespaces(list) => list.iter().any(|n| n == namespace),
        }
    }
}

/// While any watcher of the account fails, asks the API server for its version every
/// [`PROBE_EVERY`]; the first answer wakes every waiting watcher, so they retry at once.
fn probe_while_failing(account: &str, client: Client, health: Arc<Health>) {
    let span = tracing::info_span!("probe", account = %account);
    tokio::spawn(
        async move {
            loop {
                tokio::time::sleep(PROBE_EVERY).await;
                if !matches!(health.summary(), WatchState::Failing(_)) {
                    continue;
                }
                let answered =
                    tokio::time::timeout(Duration::from_secs(2), client.apiserver_version())
                        .await
                        .is_ok_and(|r| r.is_ok());
                if answered {
                    tracing::info!("the API server answers again; the watchers retry now");
                    health.recovered.notify_waiters();
                }
            }
        }
        .instrument(span),
    );
}

struct Watch {
    account: String,
    client: Client,
    scope: Scope,
    health: Arc<Health>,
    events: EventBus,
}

impl Watch {
    fn kind<K>(&self, name: &str) -> Kind<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
        K::DynamicType: Eq + Hash + Clone + Default,
    {
        let apis: Vec<(String, Api<K>)> = match &self.scope {
            Scope::All => vec![(name.to_string(), Api::all(self.client.clone()))],
            Scope::Namespaces(list) => list
                .iter()
                .map(|ns| {
                    (
                        format!("{name} in {ns}"),
                        Api::namespaced(self.client.clone(), ns),
                    )
                })
                .collect(),
        };
        let stores = apis
            .into_iter()
            .map(|(label, api)| {
                let (reader, writer) = reflector::store();
                self.spawn(&label, api, writer);
                reader
            })
            .collect();
        Kind { stores }
    }

    fn spawn<K>(&self, label: &str, api: Api<K>, writer: reflector::store::Writer<K>)
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::DynamicType: Eq + Hash + Clone + Default,
    {
        let health = self.health.clone();
        let events = self.events.clone();
        let account = self.account.clone();
        let label = label.to_string();
        health.set(&label, WatchState::Syncing);
        let span = tracing::info_span!("watch", account = %account, kind = %label);
        tokio::spawn(
            async move {
                let mut writer = writer;
                let mut failures = 0u32;
                loop {
                    // A watch that failed starts over with a fresh list rather than resuming:
                    // the list ends with InitDone, so the health turns Healthy as soon as the
                    // API server answers, where a resumed watch says nothing until an object
                    // of this kind changes. The store keeps its objects until the new list is
                    // complete.
                    let stream = watcher(api.clone(), watcher::Config::default())
                        // Managed fields are most of an object's size and nothing here reads them.
                        .modify(|object: &mut K| object.meta_mut().managed_fields = None);
                    let mut stream = std::pin::pin!(stream);
                    while let Some(event) = stream.next().await {
                        let event = match event {
                            Ok(event) => event,
                            Err(error) => {
                                health.set(&label, WatchState::Failing(error.to_string()));
                                break;
                            }
                        };
                        failures = 0;
                        writer.apply_watcher_event(&event);
                        match event {
                            watcher::Event::Init | watcher::Event::InitApply(_) => {}
                            watcher::Event::InitDone => {
                                health.set(&label, WatchState::Healthy);
                                events.publish(Change::Cluster {
                                    account: account.clone(),
                                    application: None,
                                });
                            }
                            watcher::Event::Apply(object) | watcher::Event::Delete(object) => {
                                health.set(&label, WatchState::Healthy);
                                events.publish(Change::Cluster {
                                    account: account.clone(),
                                    application: application_of(object.meta()),
                                });
                            }
                        }
                    }
                    // A short, capped pause, cut short when the account's probe sees the API
                    // server answer again.
                    failures = failures.saturating_add(1);
                    let wait = RETRY.pause(failures);
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = health.recovered.notified() => {}
                    }
                }
            }
            .instrument(span),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_to_a_second_and_no_further() {
        let seen: Vec<u128> = (1..=6).map(|n| RETRY.pause(n).as_millis()).collect();
        assert_eq!(seen, [250, 500, 1000, 1000, 1000, 1000]);
    }
}
