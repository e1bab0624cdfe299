//! OpenID Connect sign-in's two addresses: `/auth/oidc/login` sends the browser to the provider
//! (with a cookie tying the sign-in to that browser), `/auth/oidc/callback` finishes it and starts
//! a session. The provider client itself is [`crate::auth::oidc::SingleSignOn`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use gennaker_app::audit::{AuditAction, AuditEntry};
use gennaker_app::auth::SignInRefusal;
use serde::Deserialize;

use super::guard::{foreign_host, next_page};
use super::login::{from, see_other};
use crate::auth::oidc::PENDING_FOR;
use crate::auth::{Auth, cookie_value};

/// The routes.
pub fn routes() -> crate::api::Routes {
    crate::api::Routes::default()
        .get("/auth/oidc/login", login)
        .get("/auth/oidc/callback", callback)
}

fn refused(next: &str) -> Response {
    see_other(&format!(
        "/login?error={}&next={}",
        SignInRefusal::SingleSignOn.code(),
        urlencoding::encode(next)
    ))
}

#[derive(Debug, Deserialize)]
struct LoginParams {
    #[serde(default)]
    next: Option<String>,
}

/// The cookie that ties a sign-in to the browser that started it: the callback is taken only
/// from that browser, so nobody can sign someone in as themselves with a link.
const STATE_COOKIE: &str = "gennaker_oidc";

/// How much of a provider's error text the audit log keeps.
const DETAIL_MAX: usize = 200;

async fn login(
    State(auth): State<Arc<Auth>>,
    headers: HeaderMap,
    params: Result<Query<LoginParams>, QueryRejection>,
) -> Response {
    let next = next_page(params.ok().and_then(|Query(p)| p.next).as_deref());
    let Some(sso) = auth.single_sign_on.as_ref() else {
        return refused(&next);
    };
    // The provider sends the browser back to the public address, or to this machine's name
    // it came by; a name from any other Host header is not trusted.
    let base = match auth.public_url() {
        Some(url) => url.trim_end_matches('/').to_string(),
        None if foreign_host(&headers, None).is_none() => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            format!("http://{}", host.unwrap_or("127.0.0.1"))
        }
        None => {
            tracing::error!(
                "OpenID Connect sign-in needs [notifications] public_url: the address the provider sends people back to"
            );
            return refused(&next);
        }
    };
    match sso
        .begin(next.clone(), format!("{base}/auth/oidc/callback"))
        .await
    {
        Ok((url, state)) => {
            let mut response = see_other(&url);
            let age = Some(cookie::time::Duration::seconds(PENDING_FOR.as_secs() as i64));
            let cookie = auth.cookie((STATE_COOKIE, &state), "/auth/oidc", age);
            if let Ok(value) = cookie.parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => {
            tracing::error!("cannot start an OpenID Connect sign-in: {error}");
            refused(&next)
        }
    }
}

#[derive(Debug, Deserialize)]
struct CallbackParams {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

async fn callback(
    State(auth): State<Arc<Auth>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    let address = connect.map(|Extension(ConnectInfo(a))| a.ip());
    let Some(sso) = auth.single_sign_on.as_ref() else {
        return refused("/applications");
    };
    let Ok(Query(params)) = params else {
        tracing::warn!(address = ?address, "OpenID Connect callback with a bad query");
        return refused("/applications");
    };
    // Only a sign-in this browser started is finished; anything else is logged, not recorded
    // (anyone can call this address).
    let state = params.state.unwrap_or_default();
    let started_here = cookie_value(&headers, STATE_COOKIE).is_some_and(|c| c == state);
    let Some(pending) = started_here.then(|| sso.take(&state)).flatten() else {
        tracing::warn!(address = ?address, "OpenID Connect callback for a sign-in this browser did not start (or that took over 10 minutes)");
        return refused("/applications");
    };
    let next = pending.next.clone();
    let failed = |why: String| {
        tracing::warn!(address = ?address, "OpenID Connect sign-in failed: {why}");
        let why: String = why.chars().take(DETAIL_MAX).collect();
        let entry = AuditEntry::now("-", AuditAction::SignInFailed, "OpenID Connect sign-in");
        entry.detail(format!("{why} {}", from(address)).trim().to_string())
    };
    let Some(code) = params.code else {
        let why = match params.error {
            Some(error) => format!(
                "the provider answered {error}{}",
                params
                    .error_description
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
            None => "the provider sent neither a code nor an error".into(),
        };
        auth.record(failed(why)).await;
        return refused(&next);
    };
    let principal = match sso.finish(pending, code).await {
        Ok(principal) => principal,
        Err(why) => {
            auth.record(failed(why.to_string())).await;
            return refused(&next);
        }
    };
    // A local user's name is theirs: a provider's user of that name is someone else.
    match auth.users.find(&principal.name).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            let why = format!(
                "the provider names the user {:?}, which is a local user's name; rename one of them",
                principal.name
            );
            auth.record(failed(why)).await;
            return refused(&next);
        }
        Err(error) => {
            tracing::error!("cannot check the local users: {error}");
            return refused(&next);
        }
    }
    let name = principal.name.clone();
    let token = match auth.sessions.start(principal.clone(), "oidc".into()) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!("cannot start a session: {error}");
            return refused(&next);
        }
    };
    tracing::info!(user = %name, roles = ?principal.roles, address = ?address, "signed in through OpenID Connect");
    let entry = AuditEntry::now(&name, AuditAction::SignedIn, format!("user {name}"));
    let detail = format!(
        "through OpenID Connect, roles {} {}",
        principal.roles.join(", "),
        from(address)
    );
    auth.record(entry.detail(detail.trim().to_string())).await;
    let mut response = see_other(&next);
    let ended = Some(cookie::time::Duration::ZERO);
    for cookie in [
        auth.session_cookie(&token),
        auth.cookie((STATE_COOKIE, ""), "/auth/oidc", ended),
    ] {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
