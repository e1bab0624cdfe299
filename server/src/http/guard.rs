//! The check every request passes before its handler: which rule its route has, who makes it,
//! and whether a change comes from Gennaker's own pages.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gennaker_app::error::AppError;

use crate::api::ApiError;
use crate::auth::Auth;

/// What a route asks of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks, the sign-in page, the UI's files, the not-found page.
    Public,
    /// Anyone who holds the webhook's secret: each hook checks its own.
    Webhook,
    /// A signed-in user; `Surface` says how a refusal is answered.
    SignedIn(Surface),
}

/// Who reads a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// A person's browser asking for a page: sent to sign in, and back afterwards.
    Page,
    /// The UI's server functions: an [`AppError`] the page shows.
    ServerFunction,
    /// Automation under `/api/v1`: the API's error body.
    Api,
}

/// Whether `path` is one of the UI's built files: under `/pkg/`, or a file at the top of the
/// site (`/favicon.svg`). Only these are public when no route matched: the UI's router is
/// more lenient than the server's (it takes `/applications/` for `/applications`), so any other
/// unmatched path may still render a page with data.
fn static_file(path: &str) -> bool {
    path.starts_with("/pkg/") || (path.matches('/').count() == 1 && path.contains('.'))
}

/// The rule for a request to `path`; `routed` is false when no route matched it (the UI's
/// files and the not-found page are served then). `gate` is where Gate's routes are mounted:
/// its sign-in form is public, the rest is API.
pub fn access(path: &str, routed: bool, gate: &str) -> Access {
    use leptos::server_fn::ServerFn;

    if let Some(rest) = path.strip_prefix(gate)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        return if rest == "/login" {
            Access::Public
        } else {
            Access::SignedIn(Surface::Api)
        };
    }
    if !routed {
        return if static_file(path) {
            Access::Public
        } else {
            Access::SignedIn(Surface::Page)
        };
    }
    match path {
        "/healthz"
        | "/readyz"
        | "/login"
        | "/auth/login"
        | "/auth/logout"
        | "/auth/oidc/login"
        | "/auth/oidc/callback" => Access::Public,
        // The header asks who is signed in on every page, the sign-in page included.
        _ if path == gennaker_app::auth::CurrentViewer::PATH => Access::Public,
        _ if path.starts_with("/webhooks/") => Access::Webhook,
        _ if path.starts_with("/api/v1/") => Access::SignedIn(Surface::Api),
        _ if path.starts_with("/api/") => Access::SignedIn(Surface::ServerFunction),
        _ => Access::SignedIn(Surface::Page),
    }
}

/// Whether a public route still needs to know who asks: the sign-in page and the header's
/// question "who is signed in", asked on every page.
fn shows_viewer(path: &str) -> bool {
    use leptos::server_fn::ServerFn;
    path == "/login" || path == gennaker_app::auth::CurrentViewer::PATH
}

/// Why a request is refused when Gennaker runs open, if it is: its `Host` is not this
/// machine's (`localhost`, `127.0.0.1`, `[::1]`, with any port) nor the public address. A web
/// page whose name was pointed at 127.0.0.1 (DNS rebinding) would otherwise be "same-site"
/// with an open Gennaker and could act on it.
pub fn foreign_host(headers: &HeaderMap, allowed: Option<&str>) -> Option<String> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let local = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|ours| name.eq_ignore_ascii_case(ours));
    if local || allowed.is_some_and(|public| public.eq_ignore_ascii_case(host)) {
        return None;
    }
    Some(format!(
        "Gennaker runs open (no users) and answers only to this machine's names, not {host:?}: \
         use http://127.0.0.1, or add a user and set [notifications] public_url"
    ))
}

/// Why a browser request that would change something is refused, if it is: it comes from
/// another site (its `Origin` or `Sec-Fetch-Site` says so). Requests without either header
/// are not from a browser, and carry no cookie a site could have borrowed. `allowed` is the
/// public address's host, when one is configured.
pub fn cross_site(method: &Method, headers: &HeaderMap, allowed: Option<&str>) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some(format!(
            "this request came from another site (Sec-Fetch-Site: {site}); Gennaker accepts \
             changes only from its own pages, or from scripts with no Origin header"
        ));
    }
    let origin = text(header::ORIGIN.as_str())?;
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let ours = [
        text(header::HOST.as_str()),
        text("x-forwarded-host"),
        allowed,
    ];
    if ours
        .iter()
        .flatten()
        .any(|host| host.eq_ignore_ascii_case(origin_host))
    {
        return None;
    }
    Some(format!(
        "this request came from another site ({origin}); Gennaker accepts changes only from \
         its own pages"
    ))
}

/// The middleware: attaches the principal to the request, or answers for the handler.
pub async fn guard(
    State((auth, gate)): State<(Arc<Auth>, Arc<str>)>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let routed = request.extensions().get::<MatchedPath>().is_some();
    let access = access(&path, routed, &gate);
    let (headers, public) = (request.headers(), auth.public_host());
    let foreign = (auth.mode() == crate::auth::Mode::Open)
        .then(|| foreign_host(headers, public))
        .flatten();
    let forged = (access != Access::Webhook)
        .then(|| cross_site(request.method(), headers, public))
        .flatten();
    if let Some(problem) = foreign.or(forged) {
        tracing::warn!(path = %path, "refused: {problem}");
        return refuse(
            StatusCode::FORBIDDEN,
            access,
            AppError::Forbidden(problem),
            &request,
        );
    }
    // Only routes that serve someone look the caller up: the UI's files and the hooks do not.
    let principal = match access {
        Access::SignedIn(_) => auth.principal(request.headers()).await,
        Access::Public if shows_viewer(&path) => auth.principal(request.headers()).await,
        Access::Public | Access::Webhook => None,
    };
    match (access, principal) {
        (Access::SignedIn(_), None) => {
            let headers = request.headers();
            let message = if crate::auth::bearer_token(headers).is_some() {
                "The API token is unknown, revoked or expired: make a new one on the API tokens page."
            } else if crate::auth::basic::credentials(headers).is_some() {
                "Wrong user name or password (Authorization: Basic), or too many attempts: wait a minute."
            } else if crate::auth::session_token(headers).is_some() {
                "Your session has ended: sign in again."
            } else {
                "Sign in to use Gennaker, or send an API token (Authorization: Bearer …)."
            };
            refuse(
                StatusCode::UNAUTHORIZED,
                access,
                AppError::SignedOut(message.into()),
                &request,
            )
        }
        (_, principal) => {
            if let Some(principal) = principal {
                tracing::Span::current().record("user", principal.name.as_str());
                request.extensions_mut().insert(principal);
            }
            next.run(request).await
        }
    }
}

/// Whether a request is a browser asking for a page (or posting a plain form): it takes HTML.
pub fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The answer to a refused request, in the form its reader expects.
fn refuse(status: StatusCode, access: Access, error: AppError, request: &Request) -> Response {
    let wants_page = wants_page(request.headers());
    match access {
        Access::SignedIn(Surface::Page) | Access::SignedIn(Surface::ServerFunction)
            if wants_page && status == StatusCode::UNAUTHORIZED =>
        {
            let back = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let back = if request.method() == Method::GET {
                back
            } else {
                // A form posted without a session: back to the page it was on, if known.
                request
                    .headers()
                    .get(header::REFERER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(local_path)
                    .unwrap_or("/")
                    .to_string()
            };
            let to = format!("/login?next={}", urlencoding::encode(&back));
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Access::SignedIn(Surface::Api) => ApiError::App(error).into_response(),
        _ => {
            let body = serde_json::to_string(&error).unwrap_or_default();
            Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap_or_else(|_| status.into_response())
        }
    }
}

/// Where to go after signing in: `next` when it is a page on this server (not the sign-in
/// page itself), else the applications.
pub fn next_page(next: Option<&str>) -> String {
    next.and_then(local_path)
        .filter(|path| !path.starts_with("/login"))
        .unwrap_or("/applications")
        .to_string()
}

/// The path (and query) of `url` when it is an address on this server: `/x` or
/// `http://host/x`. Other sites' addresses give `None`, so no one can send a user
/// elsewhere after signing in.
pub fn local_path(url: &str) -> Option<&str> {
    let path = match url.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => url,
    };
    // Browsers drop tabs and newlines from an address and read `\` as `/`, so `/\t/evil` and
    // `/\\evil` lead elsewhere: neither (nor any space or control character) is let through.
    let plain = !path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    (plain && path.starts_with('/') && !path.starts_with("//")).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_routes_are_api_but_its_sign_in() {
        let gate = crate::gate::DEFAULT_PATH;
        assert_eq!(access("/gate/login", true, gate), Access::Public);
        assert_eq!(
            access("/gate/applications", true, gate),
            Access::SignedIn(Surface::Api)
        );
        assert_eq!(
            access("/gate/nothing", false, gate),
            Access::SignedIn(Surface::Api)
        );
        assert_eq!(
            access("/gateway", false, gate),
            Access::SignedIn(Surface::Page),
            "only what is under the mount"
        );
        assert_eq!(access("/spin/login", true, "/spin"), Access::Public);
    }

    #[test]
    fn every_route_kind_has_its_rule() {
        assert_eq!(access("/healthz", true, "/gate"), Access::Public);
        assert_eq!(access("/login", true, "/gate"), Access::Public);
        assert_eq!(access("/pkg/gennaker.wasm", false, "/gate"), Access::Public);
        assert_eq!(access("/favicon.svg", false, "/gate"), Access::Public);
        assert_eq!(
            access("/applications/", false, "/gate"),
            Access::SignedIn(Surface::Page),
            "the UI's router takes it for /applications"
        );
        assert_eq!(
            access("/applications/x.js", false, "/gate"),
            Access::SignedIn(Surface::Page)
        );
        assert_eq!(
            access("/webhooks/git/github", true, "/gate"),
            Access::Webhook
        );
        assert_eq!(
            access("/api/v1/applications", true, "/gate"),
            Access::SignedIn(Surface::Api)
        );
        {
            use leptos::server_fn::ServerFn;
            assert_eq!(
                access(gennaker_app::auth::CurrentViewer::PATH, true, "/gate"),
                Access::Public
            );
            assert_eq!(
                access(
                    &format!("{}0", gennaker_app::auth::CurrentViewer::PATH),
                    true,
                    "/gate"
                ),
                Access::SignedIn(Surface::ServerFunction)
            );
        }
        assert_eq!(
            access("/api/list_pipelines987", true, "/gate"),
            Access::SignedIn(Surface::ServerFunction)
        );
        assert_eq!(
            access("/applications", true, "/gate"),
            Access::SignedIn(Surface::Page)
        );
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn changes_from_other_sites_are_refused() {
        let post = Method::POST;
        let same = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert_eq!(cross_site(&post, &same, None), None);
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(cross_site(&post, &other, None).is_some_and(|m| m.contains("evil.example")));
        assert_eq!(
            cross_site(&Method::GET, &other, None),
            None,
            "reads are not changes"
        );
        let fetch = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&post, &fetch, None).is_some());
        let script = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(cross_site(&post, &script, None), None);
        let proxied = headers(&[
            ("host", "10.0.0.5:8080"),
            ("origin", "https://cd.example.com"),
        ]);
        assert_eq!(cross_site(&post, &proxied, Some("cd.example.com")), None);
    }

    #[test]
    fn open_gennaker_answers_only_to_this_machines_names() {
        let host = |value: &'static str| headers(&[("host", value)]);
        assert_eq!(foreign_host(&host("127.0.0.1:8080"), None), None);
        assert_eq!(foreign_host(&host("localhost:8080"), None), None);
        assert_eq!(foreign_host(&host("[::1]:8080"), None), None);
        assert!(
            foreign_host(&host("evil.example:8080"), None)
                .is_some_and(|m| m.contains("evil.example"))
        );
        assert!(foreign_host(&host("127.0.0.1.evil.example"), None).is_some());
        assert_eq!(
            foreign_host(&host("cd.example.com"), Some("cd.example.com")),
            None
        );
    }

    #[test]
    fn only_local_addresses_are_followed_after_sign_in() {
        assert_eq!(local_path("/applications?x=1"), Some("/applications?x=1"));
        assert_eq!(local_path("http://127.0.0.1:8080/tasks"), Some("/tasks"));
        assert_eq!(local_path("//evil.example/x"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("javascript:alert(1)"), None);
        assert_eq!(local_path("/\t/evil.example"), None);
        assert_eq!(local_path("/\n/evil.example"), None);
        assert_eq!(local_path("/ok/\\evil"), None);
    }
}
