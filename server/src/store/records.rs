//! Records that many of are kept and few change: tasks and pipeline executions. Each record is
//! one object (`<bodies><id>.json`), rewritten as it runs. Beside it, empty marker objects
//! index the records so that start-up reads only what it must: `<groups><group>/<id>` for
//! every record (its application, or its application and pipeline) and `<running><id>` while
//! it is unfinished. At start the server lists the markers (keys only) and reads the bodies of
//! the unfinished records; a finished record's body is read when someone looks at it.
//!
//! Writes of one record go one at a time (a lock per record, not one for all: a thousand
//! executions running at once write side by side), and the in-memory index changes only once
//! the store has the write, so the index and the store never disagree; the index's own lock is
//! never held while the store works. A new record's markers are written before
//! its body: a crash between the two leaves markers without a body, which the next start
//! removes; never a body the index does not know.

use std::collections::BTreeMap;
use std::sync::Arc;

use gennaker_core::ids::{Id, IdKind};
use gennaker_core::time::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::{Mutex, MutexGuard};

use super::{Backend, KeyLocks, Precondition, Result, StoreError};

/// How many finished records stay in memory after they were read.
const RECENT: usize = 1000;

/// A kind of record.
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    type Kind: IdKind;
    /// The schema this version writes.
    const SCHEMA: u64;
    fn id(&self) -> Id<Self::Kind>;
    /// Where it is listed: `web`, or `web/<pipeline id>`; segments of key-safe characters.
    fn group(&self) -> String;
    fn is_finished(&self) -> bool;
    /// When it ended; a finished record without one counts as ended when it was made.
    fn ended_at(&self) -> Option<Timestamp>;
    /// Turns a record stored with an older `schema` into this version's shape.
    fn upgrade(_schema: u64, record: Value) -> Value {
        record
    }
}

/// Where a kind of record lives in the store.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// `tasks/`: the bodies.
    pub bodies: &'static str,
    /// `task-index/applications/`: a marker per record under its group.
    pub groups: &'static str,
    /// `task-index/running/`: a marker per unfinished record.
    pub running: &'static str,
    /// Written once every record has markers (records stored before markers existed are
    /// indexed at the first start that lacks it).
    pub indexed: &'static str,
}

/// What start-up found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Opened {
    pub records: usize,
    pub running: usize,
    /// Records of an earlier version indexed at this start.
    pub indexed: usize,
}

struct Index<T: Record> {
    groups: BTreeMap<Id<T::Kind>, String>,
    running: BTreeMap<Id<T::Kind>, T>,
    recent: BTreeMap<Id<T::Kind>, T>,
}

pub struct Records<T: Record> {
    backend: Arc<Backend>,
    layout: Layout,
    index: Mutex<Index<T>>,
    /// Held while a record is written, by its body's key.
    writes: KeyLocks,
}

fn corrupt(key: &str, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        message: message.into(),
    }
}

impl<T: Record> Records<T> {
    /// The in-memory index; held only between two awaits, never while the store works.
    fn index(&self) -> MutexGuard<'_, Index<T>> {
        // A panic elsewhere while holding it leaves maps that are still whole.
        self.index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn body_key(&self, id: Id<T::Kind>) -> String {
        format!("{}{id}.json", self.layout.bodies)
    }

    fn group_key(&self, group: &str, id: Id<T::Kind>) -> String {
        format!("{}{group}/{id}", self.layout.groups)
    }

    fn running_key(&self, id: Id<T::Kind>) -> String {
        format!("{}{id}", self.layout.running)
    }

    fn not_running(id: Id<T::Kind>) -> StoreError {
        StoreError::NotFound {
            kind: T::Kind::NAME,
            id: format!("{id} (running)"),
        }
    }

    /// Reads a stored record of any schema this version knows.
    fn decode(key: &str, bytes: &[u8]) -> Result<T> {
        let mut envelope: Value =
            serde_json::from_slice(bytes).map_err(|e| corrupt(key, e.to_string()))?;
        let schema = envelope.get("schema").and_then(Value::as_u64).unwrap_or(0);
        if schema > T::SCHEMA {
            return Err(corrupt(
                key,
                format!("written by a newer Gennaker (schema {schema})"),
            ));
        }
        let record = envelope
            .get_mut(T::Kind::NAME)
            .map(Value::take)
            .ok_or_else(|| corrupt(key, format!("no {} in the envelope", T::Kind::NAME)))?;
        let record = if schema < T::SCHEMA {
            T::upgrade(schema, record)
        } else {
            record
        };
        serde_json::from_value(record).map_err(|e| corrupt(key, e.to_string()))
    }

    fn encode(&self, record: &T) -> Result<Vec<u8>> {
        let mut envelope = serde_json::Map::new();
        envelope.insert("schema".into(), T::SCHEMA.into());
        envelope.insert(
            T::Kind::NAME.into(),
            serde_json::to_value(record)
                .map_err(|e| corrupt(&self.body_key(record.id()), e.to_string()))?,
        );
        serde_json::to_vec_pretty(&envelope)
            .map_err(|e| corrupt(&self.body_key(record.id()), e.to_string()))
    }

    /// Lists the markers and reads the unfinished records; indexes earlier records once.
    pub async fn open(backend: Arc<Backend>, layout: Layout) -> Result<(Records<T>, Opened)> {
        let records = Records {
            backend,
            layout,
            index: Mutex::new(Index {
                groups: BTreeMap::new(),
                running: BTreeMap::new(),
                recent: BTreeMap::new(),
            }),
            writes: KeyLocks::default(),
        };
        let mut opened = Opened::default();
        if records.backend.get(layout.indexed).await?.is_none() {
            opened.indexed = records.index_earlier().await?;
            records
                .backend
                .put(layout.indexed, Vec::new(), Precondition::None)
                .await?;
        }
        let mut groups = BTreeMap::new();
        for key in records.backend.list(layout.groups).await? {
            let rest = key.strip_prefix(layout.groups).unwrap_or_default();
            if let Some((group, id)) = rest.rsplit_once('/')
                && let Ok(id) = Id::<T::Kind>::parse(id)
            {
                groups.insert(id, group.to_string());
            }
        }
        let mut running = BTreeMap::new();
        for key in records.backend.list(layout.running).await? {
            let Some(id) = key
                .strip_prefix(layout.running)
                .and_then(|id| Id::<T::Kind>::parse(id).ok())
            else {
                continue;
            };
            let body = records.body_key(id);
            match records.backend.get(&body).await? {
                Some(object) => {
                    let record = Self::decode(&body, &object.bytes)?;
                    if record.is_finished() {
                        // Finished, but stopped before its marker was removed.
                        records.backend.delete(&key).await?;
                    } else {
                        running.insert(id, record);
                    }
                }
                None => {
                    // Stopped between writing the markers and the body: it never was.
                    records.backend.delete(&key).await?;
                    if let Some(group) = groups.remove(&id) {
                        records
                            .backend
                            .delete(&records.group_key(&group, id))
                            .await?;
                    }
                }
            }
        }
        opened.records = groups.len();
        opened.running = running.len();
        {
            let mut index = records.index();
            index.groups = groups;
            index.running = running;
        }
        Ok((records, opened))
    }

    /// Writes the markers of records stored before markers existed (every body is read, once).
    async fn index_earlier(&self) -> Result<usize> {
        let mut count = 0;
        for key in self.backend.list(self.layout.bodies).await? {
            let Some(object) = self.backend.get(&key).await? else {
                continue;
            };
            let record = Self::decode(&key, &object.bytes)?;
            self.backend
                .put(
                    &self.group_key(&record.group(), record.id()),
                    Vec::new(),
                    Precondition::None,
                )
                .await?;
            if !record.is_finished() {
                self.backend
                    .put(
                        &self.running_key(record.id()),
                        Vec::new(),
                        Precondition::None,
                    )
                    .await?;
            }
            count += 1;
        }
        if count > 0 {
            tracing::info!(
                records = count,
                "indexed {count} {}s stored by an earlier version",
                T::Kind::NAME
            );
        }
        Ok(count)
    }

    /// Stores a new record.
    pub async fn insert(&self, record: T) -> Result<T> {
        let _writing = self.writes.lock(&self.body_key(record.id())).await;
        self.write_with_markers(&record, true).await?;
        Ok(record)
    }

    /// Writes the markers `record` needs (its group's when it is `new`, the running one while
    /// it is unfinished), then its body; then the index learns of it.
    async fn write_with_markers(&self, record: &T, new: bool) -> Result<()> {
        let id = record.id();
        let group = record.group();
        if new {
            self.backend
                .put(&self.group_key(&group, id), Vec::new(), Precondition::None)
                .await?;
        }
        let finished = record.is_finished();
        if !finished {
            self.backend
                .put(&self.running_key(id), Vec::new(), Precondition::None)
                .await?;
        }
        self.backend
            .put(&self.body_key(id), self.encode(record)?, Precondition::None)
            .await?;
        let mut index = self.index();
        if new {
            index.groups.insert(id, group);
        }
        index.recent.remove(&id);
        if finished {
            index.remember(record.clone());
        } else {
            index.running.insert(id, record.clone());
        }
        Ok(())
    }

    /// Changes an unfinished record with `change` and stores it; one that finishes with this
    /// change leaves the running set. `change` may refuse (and nothing is written).
    pub async fn try_update<E: From<StoreError>>(
        &self,
        id: Id<T::Kind>,
        change: impl FnOnce(&mut T) -> std::result::Result<(), E>,
    ) -> std::result::Result<T, E> {
        let _writing = self.writes.lock(&self.body_key(id)).await;
        let running = self.index().running.get(&id).cloned();
        let mut record = running.ok_or_else(|| Self::not_running(id))?;
        change(&mut record)?;
        self.write_running(record.clone()).await?;
        Ok(record)
    }

    /// Stores an unfinished record as it now is, in place of the stored one: a change worked
    /// out by the caller (under a lock of its own); one that has finished leaves the running
    /// set.
    pub async fn replace(&self, record: T) -> Result<()> {
        let id = record.id();
        let _writing = self.writes.lock(&self.body_key(id)).await;
        if !self.index().running.contains_key(&id) {
            return Err(Self::not_running(id));
        }
        self.write_running(record).await
    }

    /// Writes a running record's body; the index follows once the store has it.
    async fn write_running(&self, record: T) -> Result<()> {
        let id = record.id();
        self.backend
            .put(
                &self.body_key(id),
                self.encode(&record)?,
                Precondition::None,
            )
            .await?;
        if record.is_finished() {
            self.backend.delete(&self.running_key(id)).await?;
            let mut index = self.index();
            index.running.remove(&id);
            index.remember(record);
        } else {
            self.index().running.insert(id, record);
        }
        Ok(())
    }

    /// [`Records::try_update`] with a change that cannot refuse.
    pub async fn update(&self, id: Id<T::Kind>, change: impl FnOnce(&mut T)) -> Result<T> {
        self.try_update(id, |record| {
            change(record);
            Ok::<(), StoreError>(())
        })
        .await
    }

    /// Replaces a running record's copy in memory without writing it, for a change only to
    /// parts that the next start works out again from other stored records (an execution's
    /// view of its stages' tasks); the record's next write stores it along. Readers see it at
    /// once. A record that is not running is left as it is.
    pub async fn refresh(&self, record: T) {
        let id = record.id();
        let _writing = self.writes.lock(&self.body_key(id)).await;
        if let Some(running) = self.index().running.get_mut(&id) {
            *running = record;
        }
    }

    /// Rewrites a finished record (a restarted execution runs again): it joins the running set.
    pub async fn reopen(&self, record: T) -> Result<T> {
        let _writing = self.writes.lock(&self.body_key(record.id())).await;
        self.write_with_markers(&record, false).await?;
        Ok(record)
    }

    /// The record, from memory or the store.
    pub async fn get(&self, id: Id<T::Kind>) -> Result<Option<T>> {
        {
            let index = self.index();
            if let Some(record) = index.running.get(&id).or_else(|| index.recent.get(&id)) {
                return Ok(Some(record.clone()));
            }
            if !index.groups.contains_key(&id) {
                return Ok(None);
            }
        }
        let key = self.body_key(id);
        let Some(object) = self.backend.get(&key).await? else {
            return Ok(None);
        };
        let record = Self::decode(&key, &object.bytes)?;
        let mut index = self.index();
        // Written meanwhile (a restarted execution runs again): memory has the newer one.
        if let Some(newer) = index.running.get(&id) {
            return Ok(Some(newer.clone()));
        }
        index.remember(record.clone());
        Ok(Some(record))
    }

    /// The unfinished records.
    pub async fn running(&self) -> Vec<T> {
        self.running_where(|_| true).await
    }

    /// The unfinished records that `wanted` picks; only those are copied.
    pub async fn running_where(&self, wanted: impl Fn(&T) -> bool) -> Vec<T> {
        let index = self.index();
        index
            .running
            .values()
            .filter(|r| wanted(r))
            .cloned()
            .collect()
    }

    /// How many unfinished records `wanted` picks, copying none.
    pub async fn count_running(&self, wanted: impl Fn(&T) -> bool) -> usize {
        self.index().running.values().filter(|r| wanted(r)).count()
    }

    /// The newest `limit` records of groups starting with `group` (all with `None`).
    pub async fn list(&self, group: Option<&str>, limit: usize) -> Result<Vec<T>> {
        let ids: Vec<Id<T::Kind>> = {
            let index = self.index();
            index
                .groups
                .iter()
                .rev()
                .filter(|(_, g)| group.is_none_or(|wanted| in_group(g, wanted)))
                .map(|(id, _)| *id)
                .take(limit)
                .collect()
        };
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.get(id).await? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Removes finished records that ended before `cutoff`, and, with `keep`, all but the
    /// newest `keep` of each group. Only records made before the cutoff, or beyond `keep`,
    /// are candidates, and an id says when its record was made, so only those are read.
    pub async fn sweep(&self, cutoff: Timestamp, keep: Option<usize>) -> Result<usize> {
        let candidates: Vec<(Id<T::Kind>, String, bool)> = {
            let index = self.index();
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            index
                .groups
                .iter()
                .rev()
                .filter_map(|(id, group)| {
                    let rank = seen.entry(group.as_str()).or_insert(0);
                    *rank += 1;
                    let beyond_keep = keep.is_some_and(|keep| *rank > keep);
                    let old = id.created_at() < cutoff;
                    ((beyond_keep || old) && !index.running.contains_key(id))
                        .then(|| (*id, group.clone(), beyond_keep))
                })
                .collect()
        };
        let mut removed = 0;
        for (id, group, beyond_keep) in candidates {
            if !beyond_keep {
                let ended = match self.get(id).await? {
                    Some(record) => record.ended_at().unwrap_or_else(|| id.created_at()),
                    None => Timestamp::from_millis(0),
                };
                if ended >= cutoff {
                    continue;
                }
            }
            let _writing = self.writes.lock(&self.body_key(id)).await;
            if self.index().running.contains_key(&id) {
                continue;
            }
            self.backend.delete(&self.body_key(id)).await?;
            self.backend.delete(&self.group_key(&group, id)).await?;
            let mut index = self.index();
            index.groups.remove(&id);
            index.recent.remove(&id);
            removed += 1;
        }
        Ok(removed)
    }
}

/// Whether `group` is `wanted` or inside it (`web/abc` is in `web`).
fn in_group(group: &str, wanted: &str) -> bool {
    group == wanted
        || group
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl<T: Record> Index<T> {
    fn remember(&mut self, record: T) {
        self.recent.insert(record.id(), record);
        while self.recent.len() > RECENT {
            // The oldest id goes first: the newest records are the ones people open.
            let Some(oldest) = self.recent.keys().next().copied() else {
                break;
            };
            self.recent.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_group;

    #[test]
    fn groups_nest_by_segment() {
        assert!(in_group("web", "web"));
        assert!(in_group("web/123", "web"));
        assert!(!in_group("webapp/123", "web"));
    }
}
