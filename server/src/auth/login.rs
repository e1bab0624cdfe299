//! Signing in and out: `POST /auth/login` (the sign-in page's form) and `POST /auth/logout`.
//! A browser is sent on with a redirect; anything else gets a status code and a JSON body.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gennaker_app::error::AppError;
use serde::Deserialize;

use gennaker_app::auth::SignInRefusal;

use super::guard::{local_path, wants_page};
use super::{Auth, Mode};
use crate::api::ApiError;

/// The sign-in form.
#[derive(Deserialize)]
pub struct Credentials {
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

fn see_other(to: &str) -> Response {
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
        SignInRefusal::Open | SignInRefusal::Form => AppError::invalid("user", message),
    };
    ApiError::App(error).into_response()
}

async fn login(State(auth): State<Arc<Auth>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let address = super::client_address(&parts.extensions);
    let request = Request::from_parts(parts.clone(), body);
    let Ok(Form(form)) = Form::<Credentials>::from_request(request, &()).await else {
        return refused(
            &parts.headers,
            ("", "/"),
            StatusCode::BAD_REQUEST,
            (SignInRefusal::Form, None),
        );
    };
    login_with(&auth, &parts.headers, address, form).await
}

async fn login_with(
    auth: &Auth,
    headers: &HeaderMap,
    address: Option<std::net::IpAddr>,
    form: Credentials,
) -> Response {
    let next = form
        .next
        .as_deref()
        .and_then(local_path)
        .filter(|path| !path.starts_with("/login"))
        .unwrap_or("/applications")
        .to_string();
    let user = form.user.trim();
    if auth.mode() == Mode::Open {
        return refused(
            headers,
            (user, &next),
            StatusCode::BAD_REQUEST,
            (SignInRefusal::Open, None),
        );
    }
    if let Err(wait) = auth.limiter.attempt(user, address) {
        let seconds = wait.as_secs() + 1;
        tracing::warn!(user = %user, address = ?address, "sign-in refused: too many attempts");
        return refused(
            headers,
            (user, &next),
            StatusCode::TOO_MANY_REQUESTS,
            (SignInRefusal::Limited, Some(seconds)),
        );
    }
    let (principal, generation) = match auth.users.verify(user, &form.password).await {
        Ok(Some(verified)) => verified,
        Ok(None) => {
            tracing::info!(user = %user, address = ?address, "sign-in failed: wrong user name or password");
            return refused(
                headers,
                (user, &next),
                StatusCode::UNAUTHORIZED,
                (SignInRefusal::Wrong, None),
            );
        }
        Err(error) => {
            tracing::error!(user = %user, "sign-in failed: {error}");
            return refused(
                headers,
                (user, &next),
                StatusCode::SERVICE_UNAVAILABLE,
                (SignInRefusal::Unavailable, None),
            );
        }
    };
    let name = principal.name.clone();
    let token = match auth.sessions.start(principal, generation) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!("cannot start a session: {error}");
            return refused(
                headers,
                (user, &next),
                StatusCode::SERVICE_UNAVAILABLE,
                (SignInRefusal::Unavailable, None),
            );
        }
    };
    tracing::info!(user = %name, address = ?address, "signed in");
    let cookie = auth.session_cookie(&token);
    if wants_page(headers) {
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
    if let Some(token) = super::session_token(&headers) {
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
