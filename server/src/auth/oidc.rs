//! Signing in through an OpenID Connect provider (`[auth.oidc]`): the authorization code flow
//! with PKCE. `GET /auth/oidc/login?next=` sends the browser to the provider; the provider sends
//! it back to `GET /auth/oidc/callback`, where the code is exchanged for an ID token, the token
//! is verified (signature against the provider's keys, issuer, audience, expiry, nonce), and a
//! session starts for the user it names, with the roles its groups claim gives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine;
use gennaker_app::audit::{AuditAction, AuditEntry};
use gennaker_app::auth::{Principal, SignInRefusal, SignedInWith};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use serde::Deserialize;

use super::guard::{foreign_host, next_page};
use super::login::{from, see_other};
use super::{Auth, cookie_value};
use crate::config::OidcConfig;

/// How long a sign-in may take at the provider before its state is forgotten.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// At most this many sign-ins wait at once; older ones are dropped first.
const PENDING_MAX: usize = 10_000;
/// The provider's metadata and keys are read again after this long.
const METADATA_FOR: Duration = Duration::from_secs(3600);

/// A client made from the provider's metadata: its token and user-info endpoints may be absent.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in sent to the provider and not back yet.
struct Pending {
    verifier: String,
    nonce: String,
    next: String,
    redirect: String,
    started: Instant,
}

pub struct SingleSignOn {
    settings: OidcConfig,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(CoreProviderMetadata, Instant)>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl SingleSignOn {
    pub fn new(settings: OidcConfig) -> Result<SingleSignOn, String> {
        // Following redirects would let a provider's answer send Gennaker elsewhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("cannot build an HTTP client for OpenID Connect: {e}"))?;
        Ok(SingleSignOn {
            settings,
            http,
            metadata: tokio::sync::Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// What the sign-in page's button says.
    pub fn label(&self) -> &str {
        &self.settings.label
    }

    /// The provider's metadata, read at most once an hour.
    async fn metadata(&self) -> Result<CoreProviderMetadata, String> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, read)) = cached.as_ref()
            && read.elapsed() < METADATA_FOR
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| format!("auth.oidc.issuer is not a URL: {e}"))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                format!(
                    "cannot read the OpenID Connect provider's discovery document at {}: {}",
                    self.settings.issuer,
                    error_chain(&e)
                )
            })?;
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// A client of the provider that sends the browser back to `redirect`.
    async fn client(&self, redirect: String) -> Result<Client, String> {
        let metadata = self.metadata().await?;
        let redirect =
            RedirectUrl::new(redirect).map_err(|e| format!("bad redirect address: {e}"))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization address for a new sign-in that goes on to `next`.
    async fn begin(&self, next: String, redirect: String) -> Result<(String, String), String> {
        let client = self.client(redirect.clone()).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        if pending.len() >= PENDING_MAX
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                next,
                redirect,
                started: Instant::now(),
            },
        );
        Ok((url.to_string(), state.secret().clone()))
    }

    /// The sign-in `state` names, if it is waiting and not too old; it is forgotten.
    fn take(&self, state: &str) -> Option<Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_FOR)
    }

    /// Finishes a sign-in with the provider's `code`: who signed in.
    async fn finish(&self, pending: Pending, code: String) -> Result<Principal, String> {
        let client = self.client(pending.redirect).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| format!("the provider has no token endpoint: {e}"))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| format!("the provider refused the code: {}", error_chain(&e)))?;
        let id_token = openidconnect::TokenResponse::id_token(&token)
            .ok_or("the provider answered without an ID token")?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|e| format!("the ID token is not valid: {e}"))?;
        // The token is verified: its payload can be read for claims the core types lack.
        let payload = payload(&id_token.to_string())?;
        let name = claim_text(&payload, &self.settings.name_claim)
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        let mut roles = claim_list(&payload, &self.settings.roles_claim);
        roles.sort();
        roles.dedup();
        Ok(Principal {
            name,
            roles,
            with: SignedInWith::Oidc,
        })
    }
}

/// An error and its causes, for a message an operator can act on.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The JSON payload of a JWT.
fn payload(jwt: &str) -> Result<serde_json::Value, String> {
    let part = jwt.split('.').nth(1).ok_or("the ID token is not a JWT")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| format!("the ID token's payload is not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the ID token's payload is not JSON: {e}"))
}

fn claim_text(payload: &serde_json::Value, claim: &str) -> Option<String> {
    payload
        .get(claim)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A claim that is a list of strings, or one string (some providers send a single group so).
fn claim_list(payload: &serde_json::Value, claim: &str) -> Vec<String> {
    match payload.get(claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::to_string)
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

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
            auth.record(failed(why)).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_from_the_payload() {
        let body = serde_json::json!({"sub": "u1", "preferred_username": "olivia", "groups": ["managers", "dev"], "one": "ops"});
        let jwt = format!(
            "e30.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string())
        );
        let payload = payload(&jwt).expect("a payload");
        assert_eq!(
            claim_text(&payload, "preferred_username").as_deref(),
            Some("olivia")
        );
        assert_eq!(claim_list(&payload, "groups"), ["managers", "dev"]);
        assert_eq!(claim_list(&payload, "one"), ["ops"]);
        assert!(claim_list(&payload, "absent").is_empty());
        assert!(payload_error("nodots"));
    }

    fn payload_error(jwt: &str) -> bool {
        payload(jwt).is_err()
    }
}
