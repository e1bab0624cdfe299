//! `Authorization: Basic` for scripts and `spin` (its `auth.basic` config): a local user's
//! name and password on every request. Checking a password costs an Argon2 hash, so a pair
//! that was right is remembered for [`REMEMBER`] by the SHA-256 of the header (never the
//! password itself); only a pair not remembered is counted against the sign-in limits. A user
//! removed or given a new password stops working within [`REMEMBER`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use gennaker_app::auth::Principal;
use sha2::{Digest, Sha256};

/// How long a right name and password are remembered.
pub const REMEMBER: Duration = Duration::from_secs(60);
/// The most pairs remembered at once; past it, the expired ones are dropped, then all.
const MOST: usize = 1024;

/// The name and password of an `Authorization: Basic` header, if it has one.
pub fn credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The pairs that were right lately.
#[derive(Default)]
pub struct Remembered {
    pairs: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

fn key(user: &str, password: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(user.as_bytes());
    hash.update([0]);
    hash.update(password.as_bytes());
    hash.finalize().into()
}

impl Remembered {
    pub fn get(&self, user: &str, password: &str) -> Option<Principal> {
        let pairs = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
        pairs
            .get(&key(user, password))
            .filter(|(_, at)| at.elapsed() < REMEMBER)
            .map(|(principal, _)| principal.clone())
    }

    pub fn remember(&self, user: &str, password: &str, principal: Principal) {
        let mut pairs = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
        if pairs.len() >= MOST {
            pairs.retain(|_, (_, at)| at.elapsed() < REMEMBER);
            if pairs.len() >= MOST {
                pairs.clear();
            }
        }
        pairs.insert(key(user, password), (principal, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_gives_name_and_password() {
        let mut headers = axum::http::HeaderMap::new();
        // "ada:pass:word" — a password may hold a colon.
        headers.insert(
            axum::http::header::AUTHORIZATION,
            axum::http::HeaderValue::from_static("Basic YWRhOnBhc3M6d29yZA=="),
        );
        assert_eq!(
            credentials(&headers),
            Some(("ada".into(), "pass:word".into()))
        );
        headers.insert(
            axum::http::header::AUTHORIZATION,
            axum::http::HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(credentials(&headers), None);
        headers.insert(
            axum::http::header::AUTHORIZATION,
            axum::http::HeaderValue::from_static("Basic not-base64!"),
        );
        assert_eq!(credentials(&headers), None);
    }

    #[test]
    fn only_the_same_pair_is_remembered() {
        let remembered = Remembered::default();
        let ada = Principal {
            name: "ada".into(),
            roles: Vec::new(),
            with: gennaker_app::auth::SignedInWith::Password,
        };
        remembered.remember("ada", "right", ada.clone());
        assert_eq!(remembered.get("ada", "right"), Some(ada));
        assert_eq!(remembered.get("ada", "wrong"), None);
    }
}
