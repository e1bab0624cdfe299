//! Locks by key: writes of one key (or one record) happen one at a time, so checking a
//! precondition and writing are one step, while writes of different keys go side by side
//! (a pipeline with a thousand executions writes a thousand records at once).

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};

/// How many locks the keys share. Two keys may share one (then they merely wait for each
/// other); one key always maps to the same lock.
const STRIPES: usize = 64;

pub struct KeyLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for KeyLocks {
    fn default() -> Self {
        KeyLocks {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl KeyLocks {
    /// Waits for the lock of `key` and holds it until the guard is dropped.
    pub async fn lock(&self, key: &impl Hash) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        // The modulo keeps the index below STRIPES, so the cast cannot truncate it.
        let stripe = (hasher.finish() % STRIPES as u64) as usize;
        self.stripes[stripe].lock().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::KeyLocks;

    #[tokio::test]
    async fn one_key_waits_for_itself_and_not_for_all_others() {
        let locks = KeyLocks::default();
        let held = locks.lock(&"tasks/a.json").await;
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock(&"tasks/a.json"));
        assert!(same.await.is_err(), "a second writer of the key waits");
        let free = (0..100)
            .map(|n| format!("tasks/{n}.json"))
            .filter(|key| locks.stripes_of(key) != locks.stripes_of(&"tasks/a.json"))
            .count();
        assert!(
            free > 90,
            "most other keys have a lock of their own: {free}"
        );
        drop(held);
        let again = tokio::time::timeout(Duration::from_millis(50), locks.lock(&"tasks/a.json"));
        assert!(
            again.await.is_ok(),
            "released, the key can be written again"
        );
    }

    impl KeyLocks {
        fn stripes_of(&self, key: &impl std::hash::Hash) -> u64 {
            use std::hash::Hasher;
            let mut hasher = std::hash::DefaultHasher::new();
            key.hash(&mut hasher);
            hasher.finish() % super::STRIPES as u64
        }
    }
}
