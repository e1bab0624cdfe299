//! Sign-in attempts, limited per user name and per client address, so passwords cannot be
//! guessed at speed: a few attempts at once, then one every few seconds.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// The limits on sign-in attempts.
pub struct LoginLimiter {
    per_user: Keyed<String>,
    per_address: Keyed<IpAddr>,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for LoginLimiter {
    /// Five attempts for one user name, then one every 12 seconds; thirty from one address,
    /// then one every 2 seconds.
    fn default() -> Self {
        LoginLimiter {
            per_user: RateLimiter::hashmap(quota(5, Duration::from_secs(12))),
            per_address: RateLimiter::hashmap(quota(30, Duration::from_secs(2))),
        }
    }
}

impl LoginLimiter {
    /// Counts an attempt to sign in as `user` from `address`; `Err` says how long to wait
    /// before the next one may be made.
    pub fn attempt(&self, user: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = self.per_user.clock().now();
        if let Some(address) = address {
            self.per_address
                .check_key(&address)
                .map_err(|wait| wait.wait_time_from(now))?;
        }
        self.per_user
            .check_key(&user.to_lowercase())
            .map_err(|wait| wait.wait_time_from(now))?;
        self.per_user.retain_recent();
        self.per_address.retain_recent();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_attempts_then_a_wait() {
        let limiter = LoginLimiter::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..5 {
            assert_eq!(limiter.attempt("alice", here), Ok(()));
        }
        let wait = limiter
            .attempt("Alice", here)
            .expect_err("the sixth is refused");
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
    fn one_address_trying_many_names_is_held_up() {
        let limiter = LoginLimiter::default();
        let here = Some(IpAddr::from([127, 0, 0, 2]));
        for n in 0..30 {
            assert_eq!(limiter.attempt(&format!("user{n}"), here), Ok(()));
        }
        assert!(limiter.attempt("user-next", here).is_err());
        assert_eq!(limiter.attempt("user-next", None), Ok(()));
    }
}
