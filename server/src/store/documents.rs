//! Versioned JSON documents over a [`Backend`].
//!
//! Layout of one document `id` of a collection:
//! - `<collection>/<id>/current.json`: the latest version (or a tombstone after a delete);
//! - `<collection>/<id>/history/<version>.json`: every version ever saved.
//!
//! A save writes the history entry first, then replaces `current.json` under a precondition
//! on the revision it read. A crash between the two leaves a history entry newer than
//! `current.json`; it is ignored (history lists only versions up to the current one) and
//! overwritten by the next save. Every object carries a schema number so later releases can
//! migrate what they read.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Backend, Precondition, Result, Revision, StoreError};

/// The schema of the envelope written by this release.
const SCHEMA: u32 = 1;

/// What is stored: the document and its bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    schema: u32,
    kind: String,
    id: String,
    version: u64,
    created_at: Timestamp,
    created_by: String,
    updated_at: Timestamp,
    updated_by: String,
    deleted: bool,
    value: T,
}

/// A document as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub id: String,
    pub version: u64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
    pub value: T,
}

/// One saved version of a document; `deleted` marks the version a delete wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry<T> {
    pub version: u64,
    pub updated_at: Timestamp,
    pub updated_by: String,
    pub deleted: bool,
    pub value: T,
}

impl<T> From<Envelope<T>> for Stored<T> {
    fn from(e: Envelope<T>) -> Self {
        Stored {
            id: e.id,
            version: e.version,
            created_at: e.created_at,
            created_by: e.created_by,
            updated_at: e.updated_at,
            updated_by: e.updated_by,
            value: e.value,
        }
    }
}

impl<T> From<Envelope<T>> for HistoryEntry<T> {
    fn from(e: Envelope<T>) -> Self {
        HistoryEntry {
            version: e.version,
            updated_at: e.updated_at,
            updated_by: e.updated_by,
            deleted: e.deleted,
            value: e.value,
        }
    }
}

/// How many objects a listing reads at once.
const READ_CONCURRENCY: usize = 32;

/// One collection of versioned documents of type `T`.
pub struct Documents<T> {
    backend: Arc<Backend>,
    /// Singular, for messages: "application".
    kind: &'static str,
    /// The key prefix: "applications".
    collection: &'static str,
    /// Makes read-check-write one step within this process.
    lock: tokio::sync::Mutex<()>,
    _value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> Documents<T> {
    pub fn new(backend: Arc<Backend>, kind: &'static str, collection: &'static str) -> Self {
        Documents {
            backend,
            kind,
            collection,
            lock: tokio::sync::Mutex::new(()),
            _value: PhantomData,
        }
    }

    fn current_key(&self, id: &str) -> String {
        format!("{}/{id}/current.json", self.collection)
    }

    fn history_prefix(&self, id: &str) -> String {
        format!("{}/{id}/history/", self.collection)
    }

    fn history_key(&self, id: &str, version: u64) -> String {
        format!("{}{version:012}.json", self.history_prefix(id))
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<Envelope<T>> {
        let envelope: Envelope<T> =
            serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
                key: key.to_string(),
                message: e.to_string(),
            })?;
        if envelope.schema > SCHEMA {
            return Err(StoreError::Corrupt {
                key: key.to_string(),
                message: format!(
                    "it was written by a newer Gennaker (schema {}; this release reads up to {SCHEMA})",
                    envelope.schema
                ),
            });
        }
        Ok(envelope)
    }

    fn encode(&self, key: &str, envelope: &Envelope<T>) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(envelope).map_err(|e| StoreError::Corrupt {
            key: key.to_string(),
            message: format!("cannot be encoded: {e}"),
        })
    }

    /// The current envelope (maybe a tombstone) and the revision it was read at.
    async fn read_current(&self, id: &str) -> Result<Option<(Envelope<T>, Revision)>> {
        let key = self.current_key(id);
        match self.backend.get(&key).await? {
            Some(object) => Ok(Some((self.decode(&key, &object.bytes)?, object.revision))),
            None => Ok(None),
        }
    }

    fn not_found(&self, id: &str) -> StoreError {
        StoreError::NotFound {
            kind: self.kind,
            id: id.to_string(),
        }
    }

    /// The document, unless it does not exist or was deleted.
    pub async fn get(&self, id: &str) -> Result<Stored<T>> {
        match self.read_current(id).await? {
            Some((envelope, _)) if !envelope.deleted => Ok(envelope.into()),
            _ => Err(self.not_found(id)),
        }
    }

    /// Whether any document exists (deleted ones left out); reads until it finds one.
    pub async fn any(&self) -> Result<bool> {
        for key in self.current_keys().await? {
            if let Some(object) = self.backend.get(&key).await?
                && !self.decode(&key, &object.bytes)?.deleted
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn current_keys(&self) -> Result<Vec<String>> {
        Ok(self
            .backend
            .list(&format!("{}/", self.collection))
            .await?
            .into_iter()
            .filter(|k| k.ends_with("/current.json"))
            .collect())
    }

    /// Every document that exists (deleted ones left out), in id order.
    pub async fn list(&self) -> Result<Vec<Stored<T>>> {
        let keys = self.current_keys().await?;
        let mut documents: Vec<Stored<T>> = futures::stream::iter(keys)
            .map(|key| async move {
                match self.backend.get(&key).await? {
                    Some(object) => self.decode(&key, &object.bytes).map(Some),
                    None => Ok(None), // deleted between listing and reading
                }
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_filter_map(|envelope| async move {
                Ok(envelope.filter(|e| !e.deleted).map(Stored::from))
            })
            .try_collect()
            .await?;
        documents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(documents)
    }

    /// Stores a new document at version 1 (or, over a deleted one, at the next version).
    pub async fn create(&self, id: &str, value: T, who: &str) -> Result<Stored<T>> {
        let _guard = self.lock.lock().await;
        let current = self.read_current(id).await?;
        if let Some((envelope, _)) = &current
            && !envelope.deleted
        {
            return Err(StoreError::AlreadyExists {
                kind: self.kind,
                id: id.to_string(),
            });
        }
        let now = Timestamp::now();
        let version = current.as_ref().map_or(1, |(e, _)| e.version + 1);
        let envelope = Envelope {
            schema: SCHEMA,
            kind: self.kind.to_string(),
            id: id.to_string(),
            version,
            created_at: now,
            created_by: who.to_string(),
            updated_at: now,
            updated_by: who.to_string(),
            deleted: false,
            value,
        };
        self.write(id, current.map(|(_, r)| r), &envelope).await?;
        Ok(envelope.into())
    }

    /// Replaces the document, if it is still at `expected_version`.
    pub async fn update(
        &self,
        id: &str,
        expected_version: u64,
        value: T,
        who: &str,
    ) -> Result<Stored<T>> {
        let _guard = self.lock.lock().await;
        let current = self.read_live(id).await?;
        let envelope = self
            .write_next(id, current, expected_version, value, who, false)
            .await?;
        Ok(envelope.into())
    }

    /// Deletes the document, if it is still at `expected_version`, by writing a tombstone: the
    /// history stays, and [`Documents::restore`] can bring any version back.
    pub async fn delete(&self, id: &str, expected_version: u64, who: &str) -> Result<()> {
        let _guard = self.lock.lock().await;
        let current = self.read_live(id).await?;
        let value = current.0.value.clone();
        self.write_next(id, current, expected_version, value, who, true)
            .await?;
        Ok(())
    }

    /// Makes the content of `version` the newest version, if the document is still at
    /// `expected_version`. Works on a deleted document too, which undeletes it.
    pub async fn restore(
        &self,
        id: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<Stored<T>> {
        let _guard = self.lock.lock().await;
        let old = self.version(id, version).await?;
        if old.deleted {
            return Err(StoreError::NoSuchVersion {
                kind: self.kind,
                id: id.to_string(),
                version,
            });
        }
        let current = self
            .read_current(id)
            .await?
            .ok_or_else(|| self.not_found(id))?;
        let envelope = self
            .write_next(id, current, expected_version, old.value, who, false)
            .await?;
        Ok(envelope.into())
    }

    /// Every saved version, newest first (including the delete, if there was one).
    pub async fn history(&self, id: &str) -> Result<Vec<HistoryEntry<T>>> {
        let (current, _) = self
            .read_current(id)
            .await?
            .ok_or_else(|| self.not_found(id))?;
        let prefix = self.history_prefix(id);
        let keys = self.backend.list(&prefix).await?;
        let versions: Vec<u64> = keys
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix)?.strip_suffix(".json")?.parse().ok())
            .filter(|v| *v <= current.version)
            .collect();
        let mut entries: Vec<HistoryEntry<T>> = futures::stream::iter(versions)
            .map(|v| self.read_version(id, v))
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        entries.sort_by_key(|e| std::cmp::Reverse(e.version));
        Ok(entries)
    }

    /// One saved version. An entry newer than the current version (left by a write that was
    /// interrupted before it replaced `current.json`) never happened, and is not returned.
    pub async fn version(&self, id: &str, version: u64) -> Result<HistoryEntry<T>> {
        let (current, _) = self
            .read_current(id)
            .await?
            .ok_or_else(|| self.not_found(id))?;
        if version > current.version {
            return Err(StoreError::NoSuchVersion {
                kind: self.kind,
                id: id.to_string(),
                version,
            });
        }
        self.read_version(id, version).await
    }

    async fn read_version(&self, id: &str, version: u64) -> Result<HistoryEntry<T>> {
        let key = self.history_key(id, version);
        let no_such = || StoreError::NoSuchVersion {
            kind: self.kind,
            id: id.to_string(),
            version,
        };
        let object = self.backend.get(&key).await?.ok_or_else(no_such)?;
        let envelope = self.decode(&key, &object.bytes)?;
        if envelope.version != version {
            return Err(StoreError::Corrupt {
                key,
                message: format!("it holds version {}", envelope.version),
            });
        }
        Ok(envelope.into())
    }

    /// The current envelope and its revision, unless the document is missing or deleted.
    async fn read_live(&self, id: &str) -> Result<(Envelope<T>, Revision)> {
        match self.read_current(id).await? {
            Some((envelope, revision)) if !envelope.deleted => Ok((envelope, revision)),
            _ => Err(self.not_found(id)),
        }
    }

    async fn write_next(
        &self,
        id: &str,
        (current, revision): (Envelope<T>, Revision),
        expected_version: u64,
        value: T,
        who: &str,
        deleted: bool,
    ) -> Result<Envelope<T>> {
        if current.version != expected_version {
            return Err(StoreError::Conflict {
                kind: self.kind,
                id: id.to_string(),
                expected: expected_version,
                current: current.version,
            });
        }
        let envelope = Envelope {
            schema: SCHEMA,
            kind: self.kind.to_string(),
            id: id.to_string(),
            version: current.version + 1,
            created_at: current.created_at,
            created_by: current.created_by,
            updated_at: Timestamp::now(),
            updated_by: who.to_string(),
            deleted,
            value,
        };
        self.write(id, Some(revision), &envelope).await?;
        Ok(envelope)
    }

    /// History entry first, then `current.json` under a precondition on what was read.
    async fn write(
        &self,
        id: &str,
        read_at: Option<Revision>,
        envelope: &Envelope<T>,
    ) -> Result<()> {
        let history_key = self.history_key(id, envelope.version);
        let bytes = self.encode(&history_key, envelope)?;
        self.backend
            .put(&history_key, bytes.clone(), Precondition::None)
            .await?;
        let precondition = match read_at {
            Some(revision) => Precondition::Matches(revision),
            None => Precondition::Absent,
        };
        match self
            .backend
            .put(&self.current_key(id), bytes, precondition)
            .await
        {
            Ok(_) => Ok(()),
            // Another server wrote in between: report which version it is at now.
            Err(StoreError::PreconditionFailed { .. }) => {
                let current = self.read_current(id).await?.map_or(0, |(e, _)| e.version);
                Err(StoreError::Conflict {
                    kind: self.kind,
                    id: id.to_string(),
                    expected: envelope.version - 1,
                    current,
                })
            }
            Err(e) => Err(e),
        }
    }
}
