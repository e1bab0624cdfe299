//! `[auth]`: how long a sign-in lasts, admin roles, the service users triggers run as, and
//! OpenID Connect sign-in (`[auth.oidc]`).

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::secrets::Secrets;
use super::values::duration;

/// `[auth]`: how long a sign-in lasts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    #[serde(default = "default_session_ttl")]
    pub(super) session_ttl: String,
    #[serde(default)]
    pub(super) admin_roles: Vec<String>,
    #[serde(default)]
    pub(super) oidc: Option<RawOidc>,
    #[serde(default)]
    pub(super) service_users: Vec<RawServiceUser>,
}

/// `[[auth.service_users]]`: a user triggers may run as (`runAsUser`), with its roles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServiceUser {
    pub(super) name: String,
    #[serde(default)]
    pub(super) roles: Vec<String>,
}

/// `[auth.oidc]`: sign-in through an OpenID Connect provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOidc {
    pub(super) issuer: String,
    pub(super) client_id: String,
    /// The name of a `[[secrets]]` entry holding the client secret; none for a public client.
    #[serde(default)]
    pub(super) client_secret_secret: Option<String>,
    #[serde(default)]
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) scopes: Option<Vec<String>>,
    #[serde(default)]
    pub(super) roles_claim: Option<String>,
    #[serde(default)]
    pub(super) name_claim: Option<String>,
}

pub(super) fn default_session_ttl() -> String {
    "12h".into()
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            session_ttl: default_session_ttl(),
            admin_roles: Vec::new(),
            oidc: None,
            service_users: Vec::new(),
        }
    }
}

/// `[auth]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// How long a sign-in lasts without being used.
    pub session_ttl: std::time::Duration,
    /// Roles that may do anything, whatever an application's or account's permissions say.
    pub admin_roles: Vec<String>,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcConfig>,
    /// The users triggers may run as (a trigger's `runAsUser`).
    pub service_users: Vec<gennaker_core::auth::permissions::ServiceUser>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: std::time::Duration::from_secs(12 * 3600),
            admin_roles: Vec::new(),
            oidc: None,
            service_users: Vec::new(),
        }
    }
}

/// `[auth.oidc]`, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The sign-in page's button: "Sign in with <label>".
    pub label: String,
    pub scopes: Vec<String>,
    /// The ID token claim listing the user's groups, taken as roles.
    pub roles_claim: String,
    /// The ID token claim naming the user (the subject when absent).
    pub name_claim: String,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

pub(super) fn resolve_service_users(
    raw: Vec<RawServiceUser>,
) -> Result<Vec<gennaker_core::auth::permissions::ServiceUser>, ConfigError> {
    let mut users: Vec<gennaker_core::auth::permissions::ServiceUser> = Vec::new();
    for user in raw {
        if user.name.trim().is_empty() || user.name.starts_with('[') {
            return Err(ConfigError::Auth(format!(
                "auth.service_users: {:?} is not a name a trigger's runAsUser can give",
                user.name
            )));
        }
        if users.iter().any(|u| u.name == user.name) {
            return Err(ConfigError::Auth(format!(
                "auth.service_users: {:?} is configured twice",
                user.name
            )));
        }
        users.push(gennaker_core::auth::permissions::ServiceUser {
            name: user.name,
            roles: user.roles,
        });
    }
    Ok(users)
}

pub(super) fn resolve_oidc(
    raw: Option<RawOidc>,
    secrets: &Secrets,
) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let fail = |message: String| ConfigError::Auth(message);
    let plain_local = reqwest::Url::parse(&raw.issuer).is_ok_and(|url| {
        url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
    });
    if !(raw.issuer.starts_with("https://") || plain_local) {
        return Err(fail(format!(
            "auth.oidc.issuer {:?} must be an https:// URL (plain http only on this machine, for tests)",
            raw.issuer
        )));
    }
    if raw.client_id.trim().is_empty() {
        return Err(fail(
            "auth.oidc.client_id is empty: give the client id the provider registered for Gennaker"
                .into(),
        ));
    }
    let client_secret = match raw.client_secret_secret {
        None => None,
        Some(name) => Some(
            secrets
                .get(&name)
                .ok_or_else(|| fail(format!("auth.oidc.client_secret_secret names {name:?}, which is not a [[secrets]] entry")))?
                .to_string(),
        ),
    };
    let scopes = raw.scopes.unwrap_or_else(|| {
        ["openid", "profile", "email", "groups"]
            .map(str::to_string)
            .to_vec()
    });
    Ok(Some(OidcConfig {
        issuer: raw.issuer.trim_end_matches('/').to_string(),
        client_id: raw.client_id,
        client_secret,
        label: raw.label.unwrap_or_else(|| "OpenID Connect".into()),
        scopes,
        roles_claim: raw.roles_claim.unwrap_or_else(|| "groups".into()),
        name_claim: raw
            .name_claim
            .unwrap_or_else(|| "preferred_username".into()),
    }))
}

/// `[auth]`, validated; the OpenID Connect client secret comes from a named secret.
pub(super) fn resolve_auth(raw: RawAuth, secrets: &Secrets) -> Result<AuthConfig, ConfigError> {
    Ok(AuthConfig {
        session_ttl: duration(
            "auth.session_ttl",
            &raw.session_ttl,
            (std::time::Duration::from_secs(60), "1m"),
        )?,
        admin_roles: raw.admin_roles,
        oidc: resolve_oidc(raw.oidc, secrets)?,
        service_users: resolve_service_users(raw.service_users)?,
    })
}
