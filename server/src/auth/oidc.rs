//! Signing in through an OpenID Connect provider (`[auth.oidc]`): the authorization code flow
//! with PKCE. `GET /auth/oidc/login?next=` sends the browser to the provider; the provider sends
//! it back to `GET /auth/oidc/callback`, where the code is exchanged for an ID token, the token
//! is verified (signature against the provider's keys, issuer, audience, expiry, nonce), and a
//! session starts for the user it names, with the roles its groups claim gives.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gennaker_app::auth::{Principal, SignedInWith};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::OidcConfig;

/// How long a sign-in may take at the provider before its state is forgotten.
pub const PENDING_FOR: Duration = Duration::from_secs(600);
/// At most this many sign-ins wait at once; older ones are dropped first.
const PENDING_MAX: usize = 10_000;
/// The provider's metadata and keys are read again after this long.
const METADATA_FOR: Duration = Duration::from_secs(3600);

/// The ID token's claims beyond the standard ones, by name: the name and roles claims are
/// configurable (`name_claim`, `roles_claim`), so they are read from here once the token is
/// verified.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// A client made from the provider's metadata, reading [`OtherClaims`]: its token and
/// user-info endpoints may be absent.
type Client = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in through the provider could not start or finish. The provider's own errors are
/// generic over its response types, so they are kept as their text with their causes.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("cannot build an HTTP client for OpenID Connect: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("auth.oidc.issuer is not a URL: {0}")]
    Issuer(#[source] url::ParseError),
    #[error("cannot read the OpenID Connect provider's discovery document at {issuer}: {problem}")]
    Discovery { issuer: String, problem: String },
    #[error("bad redirect address: {0}")]
    Redirect(#[source] url::ParseError),
    #[error("the provider has no token endpoint: {0}")]
    NoTokenEndpoint(String),
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    #[error("the provider answered without an ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

/// A sign-in sent to the provider and not back yet.
pub struct Pending {
    verifier: String,
    nonce: String,
    pub next: String,
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
    pub fn new(settings: OidcConfig) -> Result<SingleSignOn, OidcError> {
        // Following redirects would let a provider's answer send Gennaker elsewhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(OidcError::HttpClient)?;
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
    async fn metadata(&self) -> Result<CoreProviderMetadata, OidcError> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, read)) = cached.as_ref()
            && read.elapsed() < METADATA_FOR
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(OidcError::Issuer)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Discovery {
                issuer: self.settings.issuer.clone(),
                problem: error_chain(&e),
            })?;
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// A client of the provider that sends the browser back to `redirect`.
    async fn client(&self, redirect: String) -> Result<Client, OidcError> {
        let metadata = self.metadata().await?;
        let redirect = RedirectUrl::new(redirect).map_err(OidcError::Redirect)?;
        Ok(Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization address for a new sign-in that goes on to `next`.
    pub async fn begin(
        &self,
        next: String,
        redirect: String,
    ) -> Result<(String, String), OidcError> {
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
    pub fn take(&self, state: &str) -> Option<Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_FOR)
    }

    /// Finishes a sign-in with the provider's `code`: who signed in.
    pub async fn finish(&self, pending: Pending, code: String) -> Result<Principal, OidcError> {
        let client = self.client(pending.redirect).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::NoTokenEndpoint(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::CodeRefused(error_chain(&e)))?;
        let id_token =
            openidconnect::TokenResponse::id_token(&token).ok_or(OidcError::NoIdToken)?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|e| OidcError::InvalidToken(e.to_string()))?;
        let other = &claims.additional_claims().claims;
        let name = claim_text(other, &self.settings.name_claim)
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        let mut roles = claim_list(other, &self.settings.roles_claim);
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

fn claim_text(claims: &serde_json::Map<String, serde_json::Value>, claim: &str) -> Option<String> {
    claims
        .get(claim)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A claim that is a list of strings, or one string (some providers send a single group so).
fn claim_list(claims: &serde_json::Map<String, serde_json::Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::to_string)
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_and_roles_claims_are_read_by_name() {
        let other: OtherClaims = serde_json::from_value(serde_json::json!({
            "preferred_username": "olivia", "groups": ["managers", "dev"], "one": "ops", "blank": " "
        }))
        .expect("claims");
        let claims = &other.claims;
        assert_eq!(
            claim_text(claims, "preferred_username").as_deref(),
            Some("olivia")
        );
        assert_eq!(claim_text(claims, "blank"), None);
        assert_eq!(claim_list(claims, "groups"), ["managers", "dev"]);
        assert_eq!(claim_list(claims, "one"), ["ops"]);
        assert!(claim_list(claims, "absent").is_empty());
    }
}
