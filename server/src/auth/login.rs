//! Signing in and out: `POST /auth/login` (the sign-in page's form) and `POST /auth/logout`.
//! A browser is sent on with a redirect; anything else gets a status code and a JSON body.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gennaker_app::error::AppError;
use serde::Deserialize;

use super::guard::local_path;
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

fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// A refused sign-in of `user`: back to the form with the reason (and the user name, not the
/// password), or the API's error body.
fn refused(
    headers: &HeaderMap,
    (user, next): (&str, &str),
    status: StatusCode,
    error: AppError,
) -> Response {
    if wants_page(headers) {
        let to = format!(
            "/login?error={}&next={}&user={}",
            urlencoding::encode(&error.to_string()),
            urlencoding::encode(next),
            urlencoding::encode(user)
        );
        return see_other(&to);
    }
    match status {
        StatusCode::TOO_MANY_REQUESTS => (
            status,
            axum::Json(serde_json::json!({
                "code": "too_many_attempts", "message": error.to_string(), "fields": [],
            })),
        )
            .into_response(),
        _ => ApiError::App(error).into_response(),
    }
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
            AppError::invalid("user", "Send the form's fields: user, password and next."),
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
            AppError::invalid(
                "user",
                "Gennaker runs open (no users, loopback only): nobody signs in. Add a user with \
                 `gennaker user add` and restart it to require sign-in.",
            ),
        );
    }
    if let Err(wait) = auth.limiter.attempt(user, address) {
        let seconds = wait.as_secs() + 1;
        tracing::warn!(user = %user, address = ?address, "sign-in refused: too many attempts");
        return refused(
            headers,
            (user, &next),
            StatusCode::TOO_MANY_REQUESTS,
            AppError::invalid(
                "password",
                format!("Too many sign-in attempts for {user:?}: wait {seconds} s and try again."),
            ),
        );
    }
    let principal = match auth.users.verify(user, &form.password).await {
        Ok(Some(principal)) => principal,
        Ok(None) => {
            tracing::info!(user = %user, address = ?address, "sign-in failed: wrong user name or password");
            return refused(
                headers,
                (user, &next),
                StatusCode::UNAUTHORIZED,
                AppError::SignedOut("Wrong user name or password.".into()),
            );
        }
        Err(error) => {
            tracing::error!(user = %user, "sign-in failed: {error}");
            return refused(
                headers,
                (user, &next),
                StatusCode::SERVICE_UNAVAILABLE,
                AppError::Unavailable(format!("Cannot check the password now: {error}")),
            );
        }
    };
    let name = principal.name.clone();
    let token = match auth.sessions.start(principal) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!("cannot start a session: {error}");
            return refused(
                headers,
                (user, &next),
                StatusCode::SERVICE_UNAVAILABLE,
                AppError::Unavailable(error),
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
