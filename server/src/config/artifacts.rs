//! `[[artifact_accounts]]`: the accounts artifacts are read with, as Spinnaker's artifact
//! accounts: a name pipelines give as `artifactAccount`, the artifact type it reads, and the
//! token (a `[[secrets]]` name) sent with each read. An artifact naming no account, or one not
//! configured here, is read without credentials.

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::secrets::Secrets;

/// An artifact account as written: `[[artifact_accounts]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArtifactAccount {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    /// Sent with the token as basic authentication (`http/file`, `git/repo`).
    #[serde(default)]
    pub(super) username: Option<String>,
    /// The `[[secrets]]` entry holding the token or password.
    #[serde(default)]
    pub(super) token_secret: Option<String>,
}

/// The artifact types an account may read.
pub const ACCOUNT_TYPES: [&str; 4] = ["http/file", "git/repo", "github/file", "gitlab/file"];

/// An artifact account, its token read.
#[derive(Clone, PartialEq, Eq)]
pub struct ArtifactAccount {
    pub name: String,
    /// One of [`ACCOUNT_TYPES`].
    pub kind: String,
    pub username: Option<String>,
    pub token: Option<String>,
}

impl std::fmt::Debug for ArtifactAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactAccount")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("username", &self.username)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// Checks the accounts: names unique words, known types, tokens from `[[secrets]]`.
pub(super) fn resolve_artifact_accounts(
    raw: Vec<RawArtifactAccount>,
    secrets: &Secrets,
) -> Result<Vec<ArtifactAccount>, ConfigError> {
    let mut accounts: Vec<ArtifactAccount> = Vec::with_capacity(raw.len());
    for account in raw {
        let fail = |problem: String| ConfigError::ArtifactAccount {
            account: account.name.clone(),
            problem,
        };
        if account.name.trim().is_empty() || account.name.contains(char::is_whitespace) {
            return Err(fail(
                "the name must be a word without spaces, such as github-artifacts".into(),
            ));
        }
        if accounts.iter().any(|a| a.name == account.name) {
            return Err(fail(
                "the name is used by an earlier account; names must be unique".into(),
            ));
        }
        if !ACCOUNT_TYPES.contains(&account.kind.as_str()) {
            return Err(fail(format!(
                "type {:?} is not one Gennaker reads; write one of {}",
                account.kind,
                ACCOUNT_TYPES.join(", ")
            )));
        }
        let token = match &account.token_secret {
            None => None,
            Some(name) => match secrets.get(name) {
                Some(value) => Some(value.to_string()),
                None => {
                    return Err(fail(format!(
                        "token_secret names {name:?}, which is not in [[secrets]]; add it there (read from a file or an environment variable)"
                    )));
                }
            },
        };
        accounts.push(ArtifactAccount {
            name: account.name,
            kind: account.kind,
            username: account.username.filter(|u| !u.is_empty()),
            token,
        });
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, kind: &str, secret: Option<&str>) -> RawArtifactAccount {
        RawArtifactAccount {
            name: name.into(),
            kind: kind.into(),
            username: None,
            token_secret: secret.map(Into::into),
        }
    }

    #[test]
    fn accounts_read_their_tokens_from_secrets() {
        let secrets = Secrets::from_pairs([("gh".to_string(), "t0ken".to_string())]);
        let accounts =
            resolve_artifact_accounts(vec![raw("github", "github/file", Some("gh"))], &secrets)
                .expect("valid");
        assert_eq!(accounts[0].token.as_deref(), Some("t0ken"));
        assert!(
            !format!("{accounts:?}").contains("t0ken"),
            "the token is never shown"
        );
    }

    #[test]
    fn bad_accounts_say_what_to_fix() {
        let secrets = Secrets::default();
        for (accounts, says) in [
            (vec![raw("a", "s3/object", None)], "github/file"),
            (
                vec![raw("a", "http/file", Some("missing"))],
                "not in [[secrets]]",
            ),
            (
                vec![raw("a", "http/file", None), raw("a", "git/repo", None)],
                "unique",
            ),
            (vec![raw("a b", "http/file", None)], "without spaces"),
        ] {
            let error = resolve_artifact_accounts(accounts, &secrets).expect_err("refused");
            assert!(error.to_string().contains(says), "{error}");
        }
    }
}
