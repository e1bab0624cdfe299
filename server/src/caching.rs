//! How long a browser may keep what the server sends. The built UI's files carry a hash of
//! their content in their name (cargo-leptos' `hash-files`), so a browser keeps them for a year
//! and never asks again; a new build has new names. Pages are rendered for every request and
//! never kept, so a browser always finds the names of the current build.
//!
//! A file kept for a year is never revalidated, so its validators (`Last-Modified`) and
//! `Accept-Ranges` are left off: on the Manual Judgment page, about 60 files, that is 4 KB a
//! phone does not download.

use axum::extract::Request;
use axum::http::header::{ACCEPT_RANGES, CACHE_CONTROL, CONTENT_TYPE, ETAG, LAST_MODIFIED};
use axum::http::{HeaderValue, Response};
use axum::middleware::Next;

/// For a file whose name changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For a rendered page: not stored, so the back button and a new build never show a stale one.
pub const NEVER: &str = "no-store";

/// Adds `Cache-Control` to hashed build outputs and to HTML pages.
pub async fn cache_control(request: Request, next: Next) -> Response<axum::body::Body> {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = if hashed && response.status().is_success() {
        IMMUTABLE
    } else if html {
        NEVER
    } else {
        return response;
    };
    let headers = response.headers_mut();
    if policy == IMMUTABLE {
        for unused in [LAST_MODIFIED, ETAG, ACCEPT_RANGES] {
            headers.remove(unused);
        }
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// Whether `path` names a build output with its content hash in the name, as cargo-leptos
/// writes them: `/pkg/<name>.<22 characters of base64url MD5>.<extension>`.
pub fn is_hashed_asset(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let mut parts = file.rsplit('.').skip(1);
    let hash = parts.next().unwrap_or_default();
    parts.next().is_some()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_hashed_build_outputs_are_immutable() {
        for hashed in [
            "/pkg/gennaker.fiQ-7mVc4IT8pO-NFT0a7w.wasm",
            "/pkg/__wasm_split.Zm9yX2FfbGlnaHRfbG9hZA.js",
            "/pkg/split_clusters_route_12.a-b_c-d_e-f_g-h_i-j_kl.wasm",
        ] {
            assert!(is_hashed_asset(hashed), "{hashed}");
        }
        for plain in [
            "/pkg/gennaker.wasm",
            "/pkg/fiQ-7mVc4IT8pO-NFT0a7w.wasm",
            "/pkg/gennaker.fiQ-7mVc4IT8pO-NFT0a7.wasm",
            "/pkg/gennaker.fiQ-7mVc4IT8pO-NFT0a7w+.wasm",
            "/favicon.dG9kYXlfaXNfYV9nb29kX2Q.svg",
            "/applications",
        ] {
            assert!(!is_hashed_asset(plain), "{plain}");
        }
    }
}
