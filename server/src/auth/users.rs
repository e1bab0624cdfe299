//! Local users: a name, roles and an Argon2id password hash, kept in the store
//! (`users/<name>`), so every Gennaker sharing a store knows the same users.

use std::sync::Arc;

use gennaker_app::auth::{Principal, SignedInWith};
use serde::{Deserialize, Serialize};

use super::AuthError;
use super::passwords;
use crate::store::{Backend, Documents, StoreError};

/// One local user as stored. The hash never leaves the server.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalUser {
    pub name: String,
    pub roles: Vec<String>,
    pub password_hash: String,
    /// Random, new each time the user is added: sessions and tokens of an earlier user of the
    /// same name (removed, then added again) do not carry over.
    #[serde(default)]
    pub generation: String,
}

impl std::fmt::Debug for LocalUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalUser")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// The local users in the store.
pub struct Users {
    documents: Documents<LocalUser>,
}

/// Why `name` cannot be a user name, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if name.is_empty() || name.len() > 64 {
        return Some("a user name has 1 to 64 characters".into());
    }
    if !name.chars().all(allowed) || name.starts_with('.') {
        return Some(format!(
            "user name {name:?} may contain only letters, digits, '.', '_' and '-', and must \
             not start with '.'"
        ));
    }
    None
}

/// Why `role` cannot be a role name, if it cannot.
pub fn role_problem(role: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if role.is_empty() || role.len() > 64 || !role.chars().all(allowed) {
        return Some(format!(
            "role {role:?} must be 1 to 64 letters, digits, '.', '_' or '-'"
        ));
    }
    None
}

impl Users {
    pub fn new(backend: Arc<Backend>) -> Users {
        Users {
            documents: Documents::new(backend, "user", "users"),
        }
    }

    /// Adds a user; refuses a name in use, a bad name or role, or a weak password.
    pub async fn add(
        &self,
        name: &str,
        password: &str,
        roles: &[String],
        who: &str,
    ) -> Result<(), AuthError> {
        if let Some(problem) = name_problem(name)
            .or_else(|| roles.iter().find_map(|r| role_problem(r)))
            .or_else(|| passwords::problem(password))
        {
            return Err(AuthError::Invalid(problem));
        }
        let password = password.to_string();
        let password_hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
            .await
            .map_err(AuthError::HashTask)??;
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(AuthError::Random)?;
        let user = LocalUser {
            name: name.to_string(),
            roles,
            password_hash,
            generation: hex::encode(random),
        };
        match self.documents.create(name, user, who).await {
            Ok(_) => Ok(()),
            Err(StoreError::AlreadyExists { .. }) => Err(AuthError::Invalid(format!(
                "user {name:?} exists already; remove it first to set a new password"
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a user; their sessions end with the next request.
    pub async fn remove(&self, name: &str, who: &str) -> Result<(), AuthError> {
        let current = self.documents.get(name).await?;
        self.documents.delete(name, current.version, who).await?;
        Ok(())
    }

    /// Every user, by name.
    pub async fn list(&self) -> Result<Vec<LocalUser>, AuthError> {
        Ok(self
            .documents
            .list()
            .await?
            .into_iter()
            .map(|stored| stored.value)
            .collect())
    }

    /// Whether there is any user: reads documents only until it finds one that was not removed.
    pub async fn any(&self) -> Result<bool, AuthError> {
        Ok(self.documents.any().await?)
    }

    /// The user with this name, if there is one.
    pub async fn find(&self, name: &str) -> Result<Option<LocalUser>, AuthError> {
        match self.documents.get(name).await {
            Ok(stored) => Ok(Some(stored.value)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The principal `name` signs in as, and the user's generation, if `password` is theirs.
    /// An unknown (or impossible) name costs the same time as a wrong password.
    pub async fn verify(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<(Principal, String)>, AuthError> {
        let user = match name_problem(name) {
            Some(_) => None,
            None => self.find(name).await?,
        };
        let hash = user.as_ref().map_or_else(
            || passwords::decoy().to_string(),
            |u| u.password_hash.clone(),
        );
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || passwords::verify(&password, &hash))
            .await
            .unwrap_or(false);
        Ok(user.filter(|_| matches).map(|user| {
            let principal = Principal {
                name: user.name,
                roles: user.roles,
                with: SignedInWith::Password,
            };
            (principal, user.generation)
        }))
    }
}
