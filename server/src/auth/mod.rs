//! Sign-in: who makes each request.
//!
//! Gennaker runs in one of two modes, chosen at start:
//! - **open**: it listens on loopback only and no user exists, so only people on this machine
//!   reach it; every request acts as "anonymous", and the UI says so;
//! - **sign-in**: every page, server function and API route (but health checks, the sign-in
//!   page and webhooks, which check their own secrets) needs a session cookie from signing in.
//!
//! Listening on any other address without users is refused at start ([`exposure`]).
//! Browser requests that change something must come from Gennaker's own pages
//! ([`crate::http::guard`] checks their `Origin`), so another site cannot act with a user's cookie.

pub mod basic;
pub mod cli;
pub mod limiter;
pub mod oidc;
pub mod passwords;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use gennaker_app::auth::{Principal, SignedInWith};

use crate::config::AuthConfig;
use crate::store::{Backend, StoreError};
use gennaker_app::services::AuditLog;
use limiter::LoginLimiter;
use sessions::{Lookup, Sessions};
use users::Users;

/// Why a sign-in operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The input is wrong; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot hash the password: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("cannot hash the password: {0}")]
    HashTask(#[source] tokio::task::JoinError),
    #[error("the operating system gave no random bytes: {0}")]
    Random(#[source] getrandom::Error),
}

/// Whether people sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Loopback only, no users: everyone is "anonymous".
    Open,
    /// Every request but the public ones needs a session.
    SignIn,
}

/// Why Gennaker refuses to start on `listen`: it would serve everyone on the network with
/// nobody signing in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Gennaker would listen on {listen} with no sign-in configured, so anyone who can reach that \
     address could deploy and delete: add a user first (`gennaker user add NAME --role admin`, \
     with the same configuration, so it finds the same store), configure an OpenID Connect \
     provider ([auth.oidc]), or listen on 127.0.0.1 only"
)]
pub struct Unprotected {
    pub listen: SocketAddr,
}

/// The mode for a server on `listen`, with or without a way to sign in (`users`: local users
/// or an OpenID Connect provider).
pub fn exposure(listen: SocketAddr, users: bool) -> Result<Mode, Unprotected> {
    match (users, listen.ip().is_loopback()) {
        (false, true) => Ok(Mode::Open),
        (false, false) => Err(Unprotected { listen }),
        (true, _) => Ok(Mode::SignIn),
    }
}

/// Sessions, users and the limits on signing in.
pub struct Auth {
    mode: Mode,
    pub users: Users,
    pub sessions: Sessions,
    pub limiter: LoginLimiter,
    pub tokens: Arc<tokens::Tokens>,
    /// Whether cookies are sent only over HTTPS: when people reach Gennaker other than on
    /// this machine.
    secure_cookies: bool,
    /// The host of `[notifications] public_url`: pages served through it may make changes.
    public_host: Option<String>,
    /// Sign-ins, sign-outs and tokens are recorded here, as every change is.
    pub audit: Arc<dyn AuditLog>,
    /// Sign-in through the configured OpenID Connect provider.
    pub single_sign_on: Option<oidc::SingleSignOn>,
    /// `[notifications] public_url`: where people reach Gennaker.
    public_url: Option<String>,
    /// `Authorization: Basic` pairs that were right lately.
    basic: basic::Remembered,
}

impl Auth {
    /// The mode a server on `listen` would run in with the users in `backend`; refuses an
    /// unprotected one. Decided once, before the address is bound, and passed to [`Auth::start`].
    pub async fn check(
        backend: &Arc<Backend>,
        config: &AuthConfig,
        listen: SocketAddr,
    ) -> Result<Mode, crate::ServerError> {
        let configured = config.oidc.is_some()
            || Users::new(backend.clone())
                .any()
                .await
                .map_err(crate::ServerError::Users)?;
        Ok(exposure(listen, configured)?)
    }

    /// Sign-in for a server on `listen` in `mode` (from [`Auth::check`]).
    pub fn start(
        backend: Arc<Backend>,
        config: &AuthConfig,
        (listen, mode): (SocketAddr, Mode),
        public_url: Option<&str>,
        audit: Arc<dyn AuditLog>,
    ) -> Result<Arc<Auth>, crate::ServerError> {
        let single_sign_on = match &config.oidc {
            Some(settings) => Some(oidc::SingleSignOn::new(settings.clone())?),
            None => None,
        };
        let users = Users::new(backend.clone());
        let tokens = Arc::new(tokens::Tokens::new(backend));
        let secure_cookies = public_url.map_or(!listen.ip().is_loopback(), |url| {
            url.starts_with("https://")
        });
        let public_host = public_url
            .and_then(|url| url.split_once("://"))
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_string());
        tracing::info!(
            mode = ?mode,
            "{}",
            match mode {
                Mode::Open => "no users and loopback only: Gennaker runs open, nobody signs in",
                Mode::SignIn => "sign-in required",
            }
        );
        Ok(Arc::new(Auth {
            mode,
            users,
            sessions: Sessions::new(config.session_ttl),
            limiter: LoginLimiter::default(),
            tokens,
            secure_cookies,
            public_host,
            audit,
            single_sign_on,
            public_url: public_url.map(str::to_string),
            basic: basic::Remembered::default(),
        }))
    }

    /// Records a sign-in or sign-out (see [`gennaker_app::auth::guarded::record_audit`]).
    pub async fn record(&self, entry: gennaker_app::audit::AuditEntry) {
        gennaker_app::auth::guarded::record_audit(self.audit.as_ref(), entry).await;
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    pub fn public_host(&self) -> Option<&str> {
        self.public_host.as_deref()
    }

    /// Who a request with these headers acts as: its API token (`Authorization: Bearer`), a
    /// local user's name and password (`Authorization: Basic`), else its session cookie; `None`
    /// when none is valid.
    pub async fn principal(&self, headers: &axum::http::HeaderMap) -> Option<Principal> {
        if self.mode == Mode::Open {
            return Some(Principal::open());
        }
        if let Some(bearer) = bearer_token(headers) {
            return self.tokens.principal(bearer).await;
        }
        if let Some((user, password)) = basic::credentials(headers) {
            return self.basic_principal(&user, &password).await;
        }
        self.session_principal(session_token(headers).as_deref())
            .await
    }

    /// Who a request signed with a local user's name and password acts as (`Authorization:
    /// Basic`): remembered for a minute once right; otherwise checked, and when wrong counted
    /// against the sign-in limits and audited, as a sign-in is.
    async fn basic_principal(&self, user: &str, password: &str) -> Option<Principal> {
        if let Some(principal) = self.basic.get(user, password) {
            return Some(principal);
        }
        if self.limiter.attempt(user, None).is_err() {
            tracing::warn!(user = %user, "Basic sign-in refused: too many attempts");
            return None;
        }
        match self.users.verify(user, password).await {
            Ok(Some((principal, _))) => {
                self.basic.remember(user, password, principal.clone());
                Some(principal)
            }
            Ok(None) => {
                self.wrong_password(user, None, "with Authorization: Basic")
                    .await;
                None
            }
            Err(error) => {
                tracing::error!(user = %user, "Basic sign-in failed: {error}");
                None
            }
        }
    }

    /// Counts a wrong password for `user` against the limits and audits it (`detail`: how it
    /// came). A name that is nobody's may be a password typed into the wrong field: it is
    /// neither logged nor kept.
    pub async fn wrong_password(
        &self,
        user: &str,
        address: Option<std::net::IpAddr>,
        detail: &str,
    ) {
        self.limiter.wrong(user, address);
        let known = matches!(self.users.find(user).await, Ok(Some(_)));
        let who = if known { user } else { "(unknown user)" };
        tracing::info!(user = %who, address = ?address, "sign-in failed ({detail}): wrong user name or password");
        let entry = gennaker_app::audit::AuditEntry::now(
            who,
            gennaker_app::audit::AuditAction::SignInFailed,
            format!("user {who}"),
        );
        self.record(entry.detail(detail)).await;
    }

    /// Who a request with this session token acts as. A session whose user was removed ends
    /// here.
    async fn session_principal(&self, token: Option<&str>) -> Option<Principal> {
        let token = token?;
        match self.sessions.lookup(token) {
            Lookup::Valid(principal) => Some(principal),
            Lookup::Unknown => None,
            Lookup::Recheck(principal, _) if principal.with != SignedInWith::Password => {
                self.sessions.rechecked(token, principal.clone());
                Some(principal)
            }
            Lookup::Recheck(principal, generation) => {
                match self.users.find(&principal.name).await {
                    Ok(Some(user)) if user.generation == generation => {
                        let principal = Principal {
                            roles: user.roles,
                            ..principal
                        };
                        self.sessions.rechecked(token, principal.clone());
                        Some(principal)
                    }
                    Ok(_) => {
                        tracing::info!(user = %principal.name, "the user was removed: signed out");
                        self.sessions.end(token);
                        None
                    }
                    // The store is unreachable: keep the session rather than sign everyone out.
                    Err(error) => {
                        tracing::warn!(user = %principal.name, "cannot look the user up again: {error}");
                        Some(principal)
                    }
                }
            }
        }
    }

    /// The `Set-Cookie` value that starts a session with `token`: a browser-session cookie, so
    /// the server alone decides when the session ends (`session_ttl` unused, at most a week).
    pub fn session_cookie(&self, token: &str) -> String {
        self.cookie((sessions::COOKIE, token), "/", None)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn ended_cookie(&self) -> String {
        self.cookie(
            (sessions::COOKIE, ""),
            "/",
            Some(cookie::time::Duration::ZERO),
        )
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure as the server is reached.
    pub fn cookie(
        &self,
        (name, value): (&'static str, &str),
        path: &'static str,
        max_age: Option<cookie::time::Duration>,
    ) -> String {
        let mut built = cookie::Cookie::build((name, value.to_string()))
            .path(path)
            .http_only(true)
            .secure(self.secure_cookies)
            .same_site(cookie::SameSite::Lax);
        if let Some(age) = max_age {
            built = built.max_age(age);
        }
        built.build().to_string()
    }
}

/// The session token a request carries in its `Cookie` header, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_value(headers, sessions::COOKIE)
}

/// The value of the cookie `name` a request carries, if any.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The API token a request carries (`Authorization: Bearer …`), if any.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_only_on_loopback_without_users() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
        let v6: SocketAddr = "[::1]:8080".parse().expect("an address");
        let everywhere: SocketAddr = "0.0.0.0:8080".parse().expect("an address");
        assert_eq!(exposure(loopback, false), Ok(Mode::Open));
        assert_eq!(exposure(v6, false), Ok(Mode::Open));
        assert_eq!(exposure(loopback, true), Ok(Mode::SignIn));
        assert_eq!(exposure(everywhere, true), Ok(Mode::SignIn));
        let refused = exposure(everywhere, false).expect_err("refused");
        assert!(
            refused.to_string().contains("gennaker user add"),
            "{refused}"
        );
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "theme=dark; gennaker_session=abc123; other=1"
                .parse()
                .expect("a header"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc123"));
        headers.insert(
            axum::http::header::COOKIE,
            "gennaker_session=".parse().expect("a header"),
        );
        assert_eq!(session_token(&headers), None);
    }
}
