//! Webhook: the request (`url`, `method`, `customHeaders`, `payload`), which answers fail or retry, and
//! how its status is followed when `waitForCompletion`.

use serde_json::Value;

use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub payload: Option<Value>,
    pub fail_fast_status_codes: Vec<u64>,
    pub retry_status_codes: Vec<u64>,
    pub wait_for_completion: bool,
    /// Where the status is read: `getMethod` (the same URL), `locationHeader`, or
    /// `webhookResponse` (a URL found in the first response at `statusUrlJsonPath`).
    pub status_url_resolution: String,
    pub status_url_json_path: Option<String>,
    pub status_json_path: Option<String>,
    pub success_statuses: Vec<String>,
    pub canceled_statuses: Vec<String>,
    pub terminal_statuses: Vec<String>,
}

pub(super) fn read(r: &mut Reader<'_>) -> Webhook {
    let url = r
        .required_text("url", "the URL to call")
        .unwrap_or_default();
    let checkable = !url.contains("${") && !url.is_empty();
    if checkable && !(url.starts_with("http://") || url.starts_with("https://")) {
        r.fail("url", format!("{url:?} is not an http:// or https:// URL."));
    }
    let method = r
        .text("method")
        .unwrap_or_else(|| "POST".into())
        .to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&method.as_str()) {
        r.fail(
            "method",
            format!("{method} is not GET, POST, PUT, PATCH, DELETE or HEAD."),
        );
    }
    r.expressions_in("payload");
    let resolution = r
        .text("statusUrlResolution")
        .unwrap_or_else(|| "getMethod".into());
    if !["getMethod", "locationHeader", "webhookResponse"].contains(&resolution.as_str()) {
        r.fail(
            "statusUrlResolution",
            "Read the status from getMethod, locationHeader or webhookResponse.",
        );
    }
    let wait_for_completion = r.flag("waitForCompletion").unwrap_or(false);
    let status_json_path = r.text("statusJsonPath").filter(|p| !p.is_empty());
    if wait_for_completion && status_json_path.is_none() {
        r.fail(
            "statusJsonPath",
            "Give the JSON path of the status to wait for (such as $.status).",
        );
    }
    Webhook {
        url,
        method,
        headers: r.text_map("customHeaders"),
        payload: r.raw("payload").cloned(),
        fail_fast_status_codes: r.numbers("failFastStatusCodes"),
        retry_status_codes: r.numbers("retryStatusCodes"),
        wait_for_completion,
        status_url_resolution: resolution,
        status_url_json_path: r.text("statusUrlJsonPath").filter(|p| !p.is_empty()),
        status_json_path,
        success_statuses: statuses(r, "successStatuses"),
        canceled_statuses: statuses(r, "canceledStatuses"),
        terminal_statuses: statuses(r, "terminalStatuses"),
    }
}

fn statuses(r: &mut Reader<'_>, key: &str) -> Vec<String> {
    r.text(key)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
