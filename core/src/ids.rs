//! Typed, time-ordered ids. A task id and a pipeline execution id are both UUID v7 (they sort
//! by creation time, to the millisecond), but one can never be passed where the other belongs.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::time::Timestamp;

/// What an id names; only its `NAME` is used, in messages.
pub trait IdKind {
    const NAME: &'static str;
}

/// Tasks: one operation, or one stage's steps.
#[derive(Debug)]
pub enum TaskKind {}
impl IdKind for TaskKind {
    const NAME: &'static str = "task";
}

/// Pipeline executions.
#[derive(Debug)]
pub enum ExecutionKind {}
impl IdKind for ExecutionKind {
    const NAME: &'static str = "execution";
}

/// Entries of the audit log.
#[derive(Debug)]
pub enum AuditKind {}
impl IdKind for AuditKind {
    const NAME: &'static str = "audit entry";
}

/// Gate's tasks (Orca's orchestrations): an application created, changed or deleted through
/// `POST /tasks`.
#[derive(Debug)]
pub enum OrchestrationKind {}
impl IdKind for OrchestrationKind {
    const NAME: &'static str = "task";
}

pub type AuditId = Id<AuditKind>;
pub type OrchestrationId = Id<OrchestrationKind>;
pub type TaskId = Id<TaskKind>;
pub type ExecutionId = Id<ExecutionKind>;

/// A UUID v7 naming one `K`. Written as the usual hyphenated lowercase text, whose order is
/// the order of creation.
pub struct Id<K> {
    uuid: Uuid,
    kind: PhantomData<fn() -> K>,
}

impl<K: IdKind> Id<K> {
    /// A new id for now.
    #[cfg(feature = "server")]
    #[expect(
        clippy::new_without_default,
        reason = "every call makes a different id; a default one would be a surprise"
    )]
    pub fn new() -> Id<K> {
        Id::from_uuid(Uuid::now_v7())
    }

    /// A new id for `at` (for tests and benchmarks that need a given age).
    #[cfg(feature = "server")]
    pub fn at(at: Timestamp) -> Id<K> {
        let millis = u64::try_from(at.as_millis()).unwrap_or(0);
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            millis / 1000,
            u32::try_from(millis % 1000).unwrap_or(0) * 1_000_000,
        );
        Id::from_uuid(Uuid::new_v7(ts))
    }

    /// The same id for the same `at` and `seed`, every time: a caller that may crash between
    /// making something and recording its id (the engine starting a stage's task) derives the
    /// id instead, so that doing it again finds the first one. The random part is FNV-1a of
    /// `seed`, a hash that does not change between versions.
    pub fn derived(at: Timestamp, seed: &str) -> Id<K> {
        let fnv = |salt: u8| {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for byte in std::iter::once(salt).chain(seed.bytes()) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
            hash
        };
        let millis = u64::try_from(at.as_millis()).unwrap_or(0);
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6..14].copy_from_slice(&fnv(1).to_be_bytes());
        bytes[14..].copy_from_slice(&fnv(2).to_be_bytes()[..2]);
        bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        Id::from_uuid(Uuid::from_bytes(bytes))
    }

    fn from_uuid(uuid: Uuid) -> Id<K> {
        Id {
            uuid,
            kind: PhantomData,
        }
    }

    /// Reads an id; anything but a UUID v7 is refused with a message naming the kind.
    pub fn parse(text: &str) -> Result<Id<K>, String> {
        let uuid = Uuid::try_parse(text.trim())
            .map_err(|_| format!("{text:?} is not a {} id", K::NAME))?;
        if uuid.get_version_num() != 7 {
            return Err(format!(
                "{text:?} is not a {} id (ids are time-ordered UUIDs, version 7)",
                K::NAME
            ));
        }
        Ok(Id::from_uuid(uuid))
    }

    /// When the id was made.
    pub fn created_at(&self) -> Timestamp {
        let (seconds, nanos) = self
            .uuid
            .get_timestamp()
            .map(|t| t.to_unix())
            .unwrap_or_default();
        Timestamp::from_millis(
            i64::try_from(seconds).unwrap_or(0) * 1000 + i64::from(nanos / 1_000_000),
        )
    }
}

impl<K: IdKind> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.hyphenated().fmt(f)
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", K::NAME, self.uuid.hyphenated())
    }
}

impl<K: IdKind> std::str::FromStr for Id<K> {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Id::parse(text)
    }
}

// Written by hand: derives would ask `K` for the same traits, and `K` is only a marker.
impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<K> Eq for Id<K> {}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}

impl<K: IdKind> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, K: IdKind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Id::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation_and_read_back() {
        let earlier = TaskId::at(Timestamp::from_millis(1_795_699_233_123));
        let later = TaskId::at(Timestamp::from_millis(1_795_699_233_124));
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string());
        assert_eq!(earlier.created_at().as_millis(), 1_795_699_233_123);
        assert_eq!(TaskId::parse(&earlier.to_string()), Ok(earlier));
        let json = serde_json::to_string(&later).unwrap();
        assert_eq!(serde_json::from_str::<TaskId>(&json).unwrap(), later);
    }

    #[test]
    fn derived_ids_are_the_same_for_the_same_seed() {
        let at = Timestamp::from_millis(1_795_699_233_123);
        let a = TaskId::derived(at, "execution/1/0");
        assert_eq!(a, TaskId::derived(at, "execution/1/0"));
        assert_ne!(a, TaskId::derived(at, "execution/2/0"));
        assert_eq!(a.created_at(), at);
        assert_eq!(TaskId::parse(&a.to_string()), Ok(a));
    }

    #[test]
    fn refuses_what_is_not_a_v7_uuid() {
        assert!(
            TaskId::parse("web-v001")
                .unwrap_err()
                .contains("not a task id")
        );
        let v4 = "4b6d3f36-1e0f-4c8e-9a51-1f5b2c3d4e5f";
        assert!(ExecutionId::parse(v4).unwrap_err().contains("version 7"));
    }
}
