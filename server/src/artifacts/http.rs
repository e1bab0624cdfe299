//! Artifacts read with one GET: `http/file`, `github/file` (GitHub's contents API, raw media
//! type) and `gitlab/file` (GitLab's repository files API, `/raw`).

use gennaker_core::pipelines::artifacts::Artifact;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use super::{ArtifactError, MAX_BYTES, too_large};
use crate::config::ArtifactAccount;

/// Where to read and with which headers.
pub(super) struct Request {
    url: String,
    /// The branch, tag or commit, sent as `?ref=`.
    version: Option<String>,
    headers: HeaderMap,
}

fn header(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

impl Request {
    /// `http/file`: the account's username and token as basic authentication, or its token
    /// alone as a bearer token.
    pub(super) fn plain(url: &str, account: Option<&ArtifactAccount>) -> Request {
        let mut headers = HeaderMap::new();
        if let Some(account) = account
            && let Some(token) = &account.token
        {
            let value = match &account.username {
                Some(user) => {
                    use base64::Engine;
                    let pair =
                        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
                    format!("Basic {pair}")
                }
                None => format!("Bearer {token}"),
            };
            header(&mut headers, AUTHORIZATION, &value);
        }
        Request {
            url: url.to_string(),
            version: None,
            headers,
        }
    }

    /// `github/file`: the reference is the contents API URL
    /// (`https://api.github.com/repos/OWNER/REPO/contents/PATH`).
    pub(super) fn github(
        url: &str,
        version: Option<&str>,
        account: Option<&ArtifactAccount>,
    ) -> Request {
        let mut headers = HeaderMap::new();
        header(&mut headers, ACCEPT, "application/vnd.github.raw+json");
        header(
            &mut headers,
            HeaderName::from_static("x-github-api-version"),
            "2022-11-28",
        );
        if let Some(token) = account.and_then(|a| a.token.as_deref()) {
            header(&mut headers, AUTHORIZATION, &format!("Bearer {token}"));
        }
        Request {
            url: url.to_string(),
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            headers,
        }
    }

    /// `gitlab/file`: the reference is the raw file URL
    /// (`https://gitlab.com/api/v4/projects/ID/repository/files/PATH/raw`).
    pub(super) fn gitlab(
        url: &str,
        version: Option<&str>,
        account: Option<&ArtifactAccount>,
    ) -> Request {
        let mut headers = HeaderMap::new();
        if let Some(token) = account.and_then(|a| a.token.as_deref()) {
            header(
                &mut headers,
                HeaderName::from_static("private-token"),
                token,
            );
        }
        Request {
            url: url.to_string(),
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            headers,
        }
    }
}

/// GETs the request's URL and gives the body, at most [`MAX_BYTES`].
pub(super) async fn get(
    client: &reqwest::Client,
    artifact: &Artifact,
    request: Request,
) -> Result<Vec<u8>, ArtifactError> {
    let what = artifact.describe();
    let mut url = reqwest::Url::parse(&request.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            ArtifactError::Invalid(format!(
                "{what}: its reference {:?} is not an http:// or https:// URL",
                request.url
            ))
        })?;
    if let Some(version) = &request.version {
        url.query_pairs_mut().append_pair("ref", version);
    }
    let mut response = client
        .get(url.clone())
        .headers(request.headers)
        .send()
        .await
        .map_err(|e| ArtifactError::Unavailable(format!("{what}: {url} could not be read: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        let message = format!("{what}: {url} answered {status}");
        return Err(match status.as_u16() {
            401 | 403 => ArtifactError::Refused(format!(
                "{message}; give the artifact an artifactAccount from [[artifact_accounts]] whose token may read it"
            )),
            404 => ArtifactError::Refused(format!(
                "{message}; check the reference{}",
                if request.version.is_some() {
                    " and the version (branch, tag or commit)"
                } else {
                    ""
                }
            )),
            408 | 429 | 500..=599 => ArtifactError::Unavailable(message),
            _ => ArtifactError::Refused(message),
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return Err(too_large(artifact));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ArtifactError::Unavailable(format!("{what}: reading {url} failed: {e}")))?
    {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_large(artifact));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
