//! Signing in and out: `POST /auth/login` (the sign-in page's form) and `POST /auth/logout`.
//! A browser is sent on with a redirect; anything else gets a status code and a JSON body.

use std::sync::Arc;

use axum::Form;
use std::net::SocketAddr;

use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gennaker_app::error::AppError;
use serde::Deserialize;

use gennaker_app::audit::{AuditAction, AuditEntry};
use gennaker_app::auth::SignInRefusal;

use super::guard::{next_page, wants_page};
use crate::api::ApiError;
use crate::auth::{Auth, Mode};

/// The sign-in form.
#[derive(Deserialize)]
pub struct Credentials {
    /// `user` from the sign-in page, `username` from `spin`'s form (Gate's `POST /login`).
    #[serde(alias = "username")]
    pub user: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The routes.
pub fn routes() -> crate::api::Routes {
    crate::api::Routes::default()
        .post("/auth/login", login)
        .post("/auth/logout", logout)
}

/// "from 127.0.0.1", for the audit log.
pub(super) fn from(address: Option<std::net::IpAddr>) -> String {
    address.map(|a| format!("from {a}")).unwrap_or_default()
}

pub(super) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A refused sign-in of `user`: back to the form with the reason's code (and the user name,
/// never the password), or a status and the API's error body.
fn refused(
    headers: &HeaderMap,
    (user, next): (&str, &str),
    status: StatusCode,
    (refusal, wait): (SignInRefusal, Option<u64>),
) -> Response {
    if wants_page(headers) {
        let mut to = format!(
            "/login?error={}&next={}&user={}",
            refusal.code(),
            urlencoding::encode(next),
            urlencoding::encode(user)
        );
        if let Some(wait) = wait {
            to.push_str(&format!("&wait={wait}"));
        }
        return see_other(&to);
    }
    let message = refusal.message(wait);
    let error = match refusal {
        SignInRefusal::Wrong => AppError::SignedOut(message),
        SignInRefusal::Unavailable => AppError::Unavailable(message),
        SignInRefusal::Limited => {
            return (
                status,
                axum::Json(serde_json::json!({
                    "code": "too_many_attempts", "message": message, "fields": [],
                })),
            )
                .into_response();
        }
        SignInRefusal::Open | SignInRefusal::Form | SignInRefusal::SingleSignOn => {
            AppError::invalid("user", message)
        }
    };
    ApiError::App(error).into_response()
}

pub(crate) async fn login(
    State(auth): State<Arc<Auth>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    form: Result<Form<Credentials>, FormRejection>,
) -> Response {
    let address = connect.map(|Extension(ConnectInfo(address))| address.ip());
    let Ok(Form(form)) = form else {
        return refused(
            &headers,
            ("", "/"),
            StatusCode::BAD_REQUEST,
            (SignInRefusal::Form, None),
        );
    };
    let next = next_page(form.next.as_deref());
    let user = form.user.trim();
    let refuse = |status, refusal, wait| refused(&headers, (user, &next), status, (refusal, wait));
    if auth.mode() == Mode::Open {
        return refuse(StatusCode::BAD_REQUEST, SignInRefusal::Open, None);
    }
    if let Err(wait) = auth.limiter.attempt(user, address) {
        tracing::warn!(user = %user, address = ?address, "sign-in refused: too many attempts");
        let seconds = wait.as_secs() + 1;
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            SignInRefusal::Limited,
            Some(seconds),
        );
    }
    let (principal, generation) = match auth.users.verify(user, &form.password).await {
        Ok(Some(verified)) => verified,
        Ok(None) => {
            auth.wrong_password(user, address, &from(address)).await;
            return refuse(StatusCode::UNAUTHORIZED, SignInRefusal::Wrong, None);
        }
        Err(error) => {
            tracing::error!(user = %user, "sign-in failed: {error}");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                SignInRefusal::Unavailable,
                None,
            );
        }
    };
    let name = principal.name.clone();
    let token = match auth.sessions.start(principal, generation) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!("cannot start a session: {error}");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                SignInRefusal::Unavailable,
                None,
            );
        }
    };
    tracing::info!(user = %name, address = ?address, "signed in");
    let entry = AuditEntry::now(&name, AuditAction::SignedIn, format!("user {name}"));
    auth.record(entry.detail(from(address))).await;
    let cookie = auth.session_cookie(&token);
    if wants_page(&headers) {
        let mut response = see_other(&next);
        if let Ok(value) = cookie.parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    (
        StatusCode::OK,
        [(header::SET_COOKIE, cookie)],
        axum::Json(serde_json::json!({ "user": name })),
    )
        .into_response()
}

async fn logout(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    if let Some(token) = crate::auth::session_token(&headers) {
        if let Some(who) = auth.principal(&headers).await {
            let entry = AuditEntry::now(
                &who.name,
                AuditAction::SignedOut,
                format!("user {}", who.name),
            );
            auth.record(entry).await;
        }
        auth.sessions.end(&token);
        tracing::info!("signed out");
    }
    let cookie = auth.ended_cookie();
    if wants_page(&headers) {
        let mut response = see_other("/login");
        if let Ok(value) = cookie.parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response()
}
