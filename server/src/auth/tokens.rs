//! API tokens for automation: `Authorization: Bearer gnk_<id>_<secret>`. A token acts as the
//! user who made it, with that user's roles, until it expires or is revoked. The store keeps
//! its id, name, user, times and the SHA-256 of its secret (`tokens/<id>`); the secret is
//! shown once, when it is made. A token made by a user who is later removed stops working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gennaker_app::auth::{ApiToken, NewToken, Principal, SignedInWith, TOKEN_DAYS};
use gennaker_app::error::AppError;
use gennaker_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::users::Users;
use crate::store::{Backend, Documents, StoreError};

/// What every token starts with, so secret scanners and people recognise one.
pub const PREFIX: &str = "gnk_";

/// How long a looked-up token is trusted before it is read again (a token revoked on another
/// Gennaker sharing the store stops working within this).
const RECHECK: Duration = Duration::from_secs(60);

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredToken {
    #[serde(flatten)]
    token: ApiToken,
    /// Hex SHA-256 of the secret part.
    secret_sha256: String,
    /// The user's generation when the token was made: a user removed and added again under
    /// the same name does not inherit the tokens of the one before.
    #[serde(default)]
    user_generation: String,
}

#[derive(Clone)]
struct Known {
    stored: StoredToken,
    principal: Principal,
    read: Instant,
}

/// The tokens in the store, with the ones in use kept in memory for a minute.
pub struct Tokens {
    documents: Documents<StoredToken>,
    users: Users,
    known: Mutex<HashMap<String, Known>>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).map_err(|e| {
        AppError::Unavailable(format!("the operating system gave no random bytes: {e}"))
    })?;
    Ok(hex::encode(random))
}

fn from_store(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound { .. } => AppError::NotFound(error.to_string()),
        other => AppError::Unavailable(other.to_string()),
    }
}

/// Why a token cannot be made for `who` with this name and lifetime, if it cannot.
fn refusal(who: &Principal, name: &str, days: u32) -> Option<AppError> {
    match who.with {
        SignedInWith::Open => {
            return Some(AppError::invalid(
                "name",
                "Gennaker runs open (no users, loopback only): API calls need no token.",
            ));
        }
        SignedInWith::Token | SignedInWith::Service => {
            return Some(AppError::Forbidden(
                "A token cannot make tokens: sign in as the user to make one.".into(),
            ));
        }
        SignedInWith::Oidc => {
            return Some(AppError::Forbidden(
                "API tokens act as a local user (gennaker user add); someone signed in through \
                 the identity provider uses the provider's own tokens or a local user for scripts."
                    .into(),
            ));
        }
        SignedInWith::Password => {}
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Some(AppError::invalid(
            "name",
            "Name the token (1 to 100 characters) after the script that uses it.",
        ));
    }
    if !TOKEN_DAYS.contains(&days) {
        return Some(AppError::invalid(
            "days",
            format!(
                "A token lives {} to {} days.",
                TOKEN_DAYS.start(),
                TOKEN_DAYS.end()
            ),
        ));
    }
    None
}

impl Tokens {
    pub fn new(backend: Arc<Backend>) -> Tokens {
        Tokens {
            documents: Documents::new(backend.clone(), "API token", "tokens"),
            users: Users::new(backend),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// Who a bearer `token` acts as; `None` for an unknown, revoked or expired one.
    pub async fn principal(&self, token: &str) -> Option<Principal> {
        let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
        let cached = self
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .filter(|known| known.read.elapsed() < RECHECK)
            .cloned();
        let known = match cached {
            Some(known) => known,
            None => {
                let stored = match self.documents.get(id).await {
                    Ok(stored) => stored.value,
                    Err(StoreError::NotFound { .. }) => return None,
                    Err(error) => {
                        tracing::warn!(token.id = %id, "cannot read the API token: {error}");
                        return None;
                    }
                };
                // The user must still exist, the same one; their roles are read now.
                let user = self
                    .users
                    .find(&stored.token.user)
                    .await
                    .ok()
                    .flatten()
                    .filter(|user| user.generation == stored.user_generation)?;
                let known = Known {
                    principal: Principal {
                        name: user.name,
                        roles: user.roles,
                        with: SignedInWith::Token,
                    },
                    stored,
                    read: Instant::now(),
                };
                self.known
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.to_string(), known.clone());
                known
            }
        };
        let matches: bool = sha256_hex(secret)
            .as_bytes()
            .ct_eq(known.stored.secret_sha256.as_bytes())
            .into();
        (matches && Timestamp::now() < known.stored.token.expires_at).then_some(known.principal)
    }
}

#[async_trait::async_trait]
impl gennaker_app::services::TokenService for Tokens {
    async fn list(&self, who: &Principal) -> Result<Vec<ApiToken>, AppError> {
        let mut tokens: Vec<ApiToken> = self
            .documents
            .list()
            .await
            .map_err(from_store)?
            .into_iter()
            .map(|stored| stored.value.token)
            .filter(|token| token.user == who.name)
            .collect();
        tokens.sort_by_key(|token| std::cmp::Reverse(token.created_at));
        Ok(tokens)
    }

    async fn create(&self, who: &Principal, name: &str, days: u32) -> Result<NewToken, AppError> {
        if let Some(refused) = refusal(who, name, days) {
            return Err(refused);
        }
        let user = self
            .users
            .find(&who.name)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?
            .ok_or_else(|| AppError::Forbidden(format!("{} is not a local user.", who.name)))?;
        let id = random_hex(8)?;
        let secret = random_hex(32)?;
        let now = Timestamp::now();
        let token = ApiToken {
            id: id.clone(),
            name: name.trim().to_string(),
            user: who.name.clone(),
            created_at: now,
            expires_at: now.plus(Duration::from_secs(u64::from(days) * 86_400)),
        };
        let stored = StoredToken {
            token: token.clone(),
            secret_sha256: sha256_hex(&secret),
            user_generation: user.generation,
        };
        self.documents
            .create(&id, stored, &who.name)
            .await
            .map_err(from_store)?;
        tracing::info!(token.id = %id, token.name = %token.name, user = %who.name, "API token made");
        Ok(NewToken {
            secret: format!("{PREFIX}{id}_{secret}"),
            token,
        })
    }

    async fn revoke(&self, who: &Principal, id: &str) -> Result<(), AppError> {
        let stored = self.documents.get(id).await.map_err(from_store)?;
        if stored.value.token.user != who.name {
            return Err(AppError::NotFound(format!("You have no API token {id:?}.")));
        }
        self.documents
            .delete(id, stored.version, &who.name)
            .await
            .map_err(from_store)?;
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        tracing::info!(token.id = %id, user = %who.name, "API token revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_in(with: SignedInWith) -> Principal {
        Principal {
            name: "alice".into(),
            roles: Vec::new(),
            with,
        }
    }

    #[test]
    fn only_a_signed_in_person_makes_tokens_that_expire() {
        let alice = signed_in(SignedInWith::Password);
        assert_eq!(refusal(&alice, "deploy script", 90), None);
        assert!(refusal(&alice, "  ", 90).is_some_and(|e| e.field_message("name").is_some()));
        assert!(refusal(&alice, "x", 0).is_some_and(|e| e.field_message("days").is_some()));
        assert!(refusal(&alice, "x", 366).is_some());
        assert!(matches!(
            refusal(&signed_in(SignedInWith::Token), "x", 1),
            Some(AppError::Forbidden(_))
        ));
        assert!(refusal(&signed_in(SignedInWith::Open), "x", 1).is_some());
    }
}
