//! Sign-in sessions: a random token in an HttpOnly cookie, known to the server by its SHA-256
//! only. Kept in memory: a restart signs everyone out. A session ends when it has not been
//! used for the configured time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gennaker_app::auth::Principal;
use sha2::{Digest, Sha256};

use super::AuthError;

/// The name of the session cookie.
pub const COOKIE: &str = "gennaker_session";

/// How often a session's user is looked up again (a removed user is signed out within this).
pub const RECHECK: Duration = Duration::from_secs(60);

/// The longest a session lasts, however often it is used: then its user signs in again.
pub const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone)]
struct Session {
    principal: Principal,
    /// The user's generation at sign-in (see `LocalUser::generation`).
    generation: String,
    started: Instant,
    last_used: Instant,
    checked: Instant,
}

/// What a token is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A live session, checked recently.
    Valid(Principal),
    /// A live session whose user should be looked up again before it is trusted: the user must
    /// still exist with this generation.
    Recheck(Principal, String),
    /// No such session, or it ended.
    Unknown,
}

/// The live sessions.
pub struct Sessions {
    ttl: Duration,
    live: Mutex<HashMap<[u8; 32], Session>>,
}

impl Session {
    /// Used within `ttl`, and younger than [`LONGEST`].
    fn live(&self, now: Instant, ttl: Duration) -> bool {
        now.duration_since(self.last_used) < ttl && now.duration_since(self.started) < LONGEST
    }
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions {
            ttl,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// How long a session lasts unused.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for `principal` (of the user's `generation`); returns its token, to be
    /// sent once, in the cookie.
    pub fn start(&self, principal: Principal, generation: String) -> Result<String, AuthError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(AuthError::Random)?;
        let token = hex::encode(random);
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|_, s| s.live(now, self.ttl));
        live.insert(
            key(&token),
            Session {
                principal,
                generation,
                started: now,
                last_used: now,
                checked: now,
            },
        );
        Ok(token)
    }

    /// The session of `token`, marking it used.
    pub fn lookup(&self, token: &str) -> Lookup {
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let key = key(token);
        match live.get_mut(&key) {
            Some(session) if session.live(now, self.ttl) => {
                session.last_used = now;
                if now.duration_since(session.checked) < RECHECK {
                    Lookup::Valid(session.principal.clone())
                } else {
                    Lookup::Recheck(session.principal.clone(), session.generation.clone())
                }
            }
            Some(_) => {
                live.remove(&key);
                Lookup::Unknown
            }
            None => Lookup::Unknown,
        }
    }

    /// Records that the session's user was looked up again and still exists, with `principal`'s
    /// roles from now on.
    pub fn rechecked(&self, token: &str, principal: Principal) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(session) = live.get_mut(&key(token)) {
            session.principal = principal;
            session.checked = Instant::now();
        }
    }

    /// Ends the session of `token`, if there is one.
    pub fn end(&self, token: &str) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(token));
    }
}

#[cfg(test)]
mod tests {
    use gennaker_app::auth::SignedInWith;

    use super::*;

    fn alice() -> Principal {
        Principal {
            name: "alice".into(),
            roles: vec!["dev".into()],
            with: SignedInWith::Password,
        }
    }

    #[test]
    fn a_token_finds_its_session_until_it_ends() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let token = sessions.start(alice(), "g1".into()).expect("a token");
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.lookup(&token), Lookup::Valid(alice()));
        assert_eq!(sessions.lookup("not-a-token"), Lookup::Unknown);
        sessions.end(&token);
        assert_eq!(sessions.lookup(&token), Lookup::Unknown);
    }

    #[test]
    fn an_unused_session_expires() {
        let sessions = Sessions::new(Duration::from_millis(1));
        let token = sessions.start(alice(), "g1".into()).expect("a token");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(sessions.lookup(&token), Lookup::Unknown);
    }
}
