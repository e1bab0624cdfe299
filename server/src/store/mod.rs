//! The store: Gennaker's metadata (applications, pipelines, executions, tasks, users) as JSON
//! objects, on local disk (the default, nothing to install) or in S3-compatible object storage.
//!
//! Two layers. [`Backend`] moves bytes by key with conditional writes; it is the only part
//! that differs between local disk and S3, and both pass the same conformance suite
//! (`tests/store.rs`). [`Documents`] builds versioned documents on top of it: optimistic
//! concurrency (a write names the version it was based on), a history entry for every
//! version, and deletion as a tombstone, so a delete can be undone.

mod documents;
pub mod embedded;
mod key_locks;
pub mod records;
pub mod s3;

use std::fmt;

pub use documents::{Documents, HistoryEntry, Stored};
pub(crate) use key_locks::KeyLocks;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} {id:?} does not exist")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} {id:?} already exists")]
    AlreadyExists { kind: &'static str, id: String },
    #[error(
        "{kind} {id:?} was changed by someone else (it is at version {current}, your change was based on version {expected}); reload it and apply your change again"
    )]
    Conflict {
        kind: &'static str,
        id: String,
        expected: u64,
        current: u64,
    },
    #[error("{kind} {id:?} has no version {version}")]
    NoSuchVersion {
        kind: &'static str,
        id: String,
        version: u64,
    },
    /// A conditional write lost against another writer.
    #[error("the object {key} changed while it was being written")]
    PreconditionFailed { key: String },
    #[error("the stored object {key} is not readable: {message}")]
    Corrupt { key: String, message: String },
    #[error("the store failed on {key}: {message}")]
    Backend { key: String, message: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Identifies the exact bytes stored under a key: S3's ETag, or a content hash on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(pub String);

/// What must be true of the stored object for a write to happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Write whatever is there.
    None,
    /// Only if nothing is stored under the key.
    Absent,
    /// Only if the stored object is exactly this revision.
    Matches(Revision),
}

/// An object read from a backend.
#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub revision: Revision,
}

/// Where objects live, chosen by configuration.
pub enum Backend {
    Embedded(embedded::EmbeddedBackend),
    S3(s3::S3Backend),
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Embedded(b) => write!(f, "embedded store in {}", b.root().display()),
            Backend::S3(b) => write!(f, "S3 store in {}", b.location()),
        }
    }
}

impl Backend {
    /// The object under `key`, if there is one.
    pub async fn get(&self, key: &str) -> Result<Option<Object>> {
        match self {
            Backend::Embedded(b) => b.get(key).await,
            Backend::S3(b) => b.get(key).await,
        }
    }

    /// Stores `bytes` under `key` if `precondition` holds, atomically: a reader sees the old
    /// object or the new one, never a mix. Fails with [`StoreError::PreconditionFailed`].
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Revision> {
        match self {
            Backend::Embedded(b) => b.put(key, bytes, precondition).await,
            Backend::S3(b) => b.put(key, bytes, precondition).await,
        }
    }

    /// Removes the object under `key`; removing a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self {
            Backend::Embedded(b) => b.delete(key).await,
            Backend::S3(b) => b.delete(key).await,
        }
    }

    /// Every key that starts with `prefix`, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = match self {
            Backend::Embedded(b) => b.list(prefix).await?,
            Backend::S3(b) => b.list(prefix).await?,
        };
        keys.sort();
        Ok(keys)
    }
}

/// Opens the configured backend: creates the directory, or connects and creates the bucket.
pub async fn open(config: &crate::config::StoreConfig) -> Result<std::sync::Arc<Backend>> {
    let backend = match config {
        crate::config::StoreConfig::Embedded { dir } => {
            Backend::Embedded(embedded::EmbeddedBackend::open(dir)?)
        }
        crate::config::StoreConfig::S3(settings) => {
            Backend::S3(s3::S3Backend::connect(settings.clone()).await?)
        }
    };
    Ok(std::sync::Arc::new(backend))
}

/// Checks that `key` is a relative path of safe segments, so no key can escape its root.
pub(crate) fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend {
            key: key.to_string(),
            message: "keys are slash-separated segments of letters, digits, '-', '_' and '.' \
                      that do not start with '.'"
                .into(),
        })
    }
}
