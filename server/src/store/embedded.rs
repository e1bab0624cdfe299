//! The embedded backend: one file per object under a directory on local disk.
//!
//! A write goes to a temporary file in the same directory, is flushed to disk, then renamed
//! over the old file (and the directory flushed), so a crash at any point leaves either the
//! old object or the new one. Temporary files start with '.', which no key may, and are
//! removed at the next start.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{KeyLocks, Object, Precondition, Result, Revision, StoreError, check_key};

pub struct EmbeddedBackend {
    root: PathBuf,
    /// Writes of one key go one at a time, so checking a precondition and writing are one
    /// step; writes of different keys go side by side.
    write_locks: KeyLocks,
    temp_counter: AtomicU64,
}

fn io_error(key: &str, action: &str, error: std::io::Error) -> StoreError {
    StoreError::Backend {
        key: key.to_string(),
        message: format!("cannot {action}: {error}"),
    }
}

/// A revision for bytes on disk: a hash of the content and its length.
fn revision_of(bytes: &[u8]) -> Revision {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    Revision(format!("{:016x}-{}", hasher.finish(), bytes.len()))
}

impl EmbeddedBackend {
    /// Opens (creating it if needed) the store under `root`, removing temporary files that a
    /// crash left behind.
    pub fn open(root: impl Into<PathBuf>) -> Result<EmbeddedBackend> {
        let root = root.into();
        let display = root.display().to_string();
        std::fs::create_dir_all(&root)
            .map_err(|e| io_error(&display, "create the store directory", e))?;
        remove_temporary_files(&root)
            .map_err(|e| io_error(&display, "clean up temporary files", e))?;
        Ok(EmbeddedBackend {
            root,
            write_locks: KeyLocks::default(),
            temp_counter: AtomicU64::new(0),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Object>> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(Object {
                revision: revision_of(&bytes),
                bytes,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(key, "read", e)),
        }
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Revision> {
        let path = self.path(key)?;
        let _guard = self.write_locks.lock(&key).await;
        if precondition != Precondition::None {
            let current = self.get(key).await?.map(|o| o.revision);
            let holds = match (&precondition, &current) {
                (Precondition::Absent, None) => true,
                (Precondition::Matches(expected), Some(actual)) => expected == actual,
                _ => false,
            };
            if !holds {
                return Err(StoreError::PreconditionFailed {
                    key: key.to_string(),
                });
            }
        }
        let revision = revision_of(&bytes);
        let temp_name = format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.temp_counter.fetch_add(1, Ordering::Relaxed)
        );
        let owned_key = key.to_string();
        tokio::task::spawn_blocking(move || write_atomically(&path, &temp_name, &bytes))
            .await
            .map_err(|e| StoreError::Backend {
                key: owned_key.clone(),
                message: format!("the write was interrupted: {e}"),
            })?
            .map_err(|e| io_error(&owned_key, "write", e))?;
        Ok(revision)
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        let _guard = self.write_locks.lock(&key).await;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(key, "delete", e)),
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        let error_key = prefix.clone();
        tokio::task::spawn_blocking(move || {
            // Walk only the deepest directory the prefix names completely.
            let base = match prefix.rfind('/') {
                Some(i) => root.join(&prefix[..i]),
                None => root.clone(),
            };
            let mut keys = Vec::new();
            collect_keys(&root, &base, &mut keys)?;
            keys.retain(|k| k.starts_with(&prefix));
            Ok::<_, std::io::Error>(keys)
        })
        .await
        .map_err(|e| StoreError::Backend {
            key: error_key.clone(),
            message: format!("listing was interrupted: {e}"),
        })?
        .map_err(|e| io_error(&error_key, "list", e))
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it, renames it over `path` and
/// flushes the directory, so the rename itself survives a power cut. An empty object (an
/// index marker) has no content to flush: it is made in place and the directory flushed.
fn write_atomically(path: &Path, temp_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a key names no directory"))?;
    std::fs::create_dir_all(dir)?;
    if bytes.is_empty() {
        std::fs::File::create(path)?;
        return std::fs::File::open(dir)?.sync_all();
    }
    let temp = dir.join(temp_name);
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn collect_keys(root: &Path, dir: &Path, keys: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_keys(root, &path, keys)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            keys.push(relative.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

fn remove_temporary_files(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_temporary_files(&path)?;
        } else if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
