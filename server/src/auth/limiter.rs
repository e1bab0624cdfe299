//! Wrong passwords, limited per user name and per client address, so passwords cannot be
//! guessed at speed: a few wrong ones at once, then the name (or address) waits. Only wrong
//! passwords count: a script that signs in right for every command (`spin` with its LDAP
//! form, `Authorization: Basic`) is never held up.
//!
//! Each wrong password takes one from a bucket (five per user name, refilled one every 12
//! seconds; thirty per address, one every 2 seconds); with the bucket empty, every attempt is
//! refused unchecked, a right password too, until it has one again.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most names or addresses tracked at once; past it, the full buckets are forgotten.
const MOST_TRACKED: usize = 10_000;

/// A bucket per key of the wrong passwords it may still send: `burst` at first, one more
/// every `every`. Looking costs nothing; only a wrong password takes one. (governor, which
/// this replaced, takes one on every look, so a right password counted too.)
struct Limit<K: Hash + Eq> {
    burst: f64,
    every: Duration,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq> Limit<K> {
    fn new(burst: u32, every: Duration) -> Limit<K> {
        Limit {
            burst: f64::from(burst),
            every,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket's level now, refilled for the time since it was last seen.
    fn level(&self, (tokens, seen): (f64, Instant), now: Instant) -> f64 {
        let refilled = now.duration_since(seen).as_secs_f64() / self.every.as_secs_f64();
        (tokens + refilled).min(self.burst)
    }

    /// How long `key` must wait before it may try again, if it must.
    fn wait(&self, key: &K) -> Option<Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let level = self.level(*buckets.get(key)?, now);
        (level < 1.0).then(|| self.every.mul_f64(1.0 - level))
    }

    fn wrong(&self, key: K) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if buckets.len() >= MOST_TRACKED {
            buckets.retain(|_, bucket| self.level(*bucket, now) < self.burst);
        }
        let level = buckets
            .get(&key)
            .map_or(self.burst, |bucket| self.level(*bucket, now));
        buckets.insert(key, ((level - 1.0).max(0.0), now));
    }
}

/// The limits on sign-in attempts.
pub struct LoginLimiter {
    per_user: Limit<String>,
    per_address: Limit<IpAddr>,
}

impl Default for LoginLimiter {
    /// Five wrong passwords for one user name, then one every 12 seconds; thirty from one
    /// address, then one every 2 seconds.
    fn default() -> Self {
        LoginLimiter {
            per_user: Limit::new(5, Duration::from_secs(12)),
            per_address: Limit::new(30, Duration::from_secs(2)),
        }
    }
}

impl LoginLimiter {
    /// Whether `user` may try to sign in from `address` now; `Err` says how long to wait.
    pub fn attempt(&self, user: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let by_address = address.and_then(|a| self.per_address.wait(&a));
        let by_user = self.per_user.wait(&user.to_lowercase());
        match by_address.max(by_user) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a wrong password for `user` from `address`.
    pub fn wrong(&self, user: &str, address: Option<IpAddr>) {
        if let Some(address) = address {
            self.per_address.wrong(address);
        }
        self.per_user.wrong(user.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_wrong_passwords_then_a_wait() {
        let limiter = LoginLimiter::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..5 {
            assert_eq!(limiter.attempt("alice", here), Ok(()));
            limiter.wrong("alice", here);
        }
        let wait = limiter
            .attempt("Alice", here)
            .expect_err("held after the fifth");
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        assert_eq!(
            limiter.attempt("bob", here),
            Ok(()),
            "another user is not held up"
        );
    }

    #[test]
    fn right_passwords_never_count() {
        let limiter = LoginLimiter::default();
        for _ in 0..100 {
            assert_eq!(limiter.attempt("ci", None), Ok(()));
        }
    }

    #[test]
    fn one_address_trying_many_names_is_held_up() {
        let limiter = LoginLimiter::default();
        let here = Some(IpAddr::from([127, 0, 0, 2]));
        for n in 0..30 {
            assert_eq!(limiter.attempt(&format!("user{n}"), here), Ok(()));
            limiter.wrong(&format!("user{n}"), here);
        }
        assert!(limiter.attempt("user-next", here).is_err());
        assert_eq!(limiter.attempt("user-next", None), Ok(()));
    }
}
