//! Webhook: the request (URL, method, headers, payload), the status codes that fail it at once
//! or are retried, and waiting for completion (where the status URL comes from, the JSON path
//! of the status, and which values mean success, cancel or failure).

use leptos::prelude::*;
use serde_json::Value;

use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{Choice, Flag, Input, Setting, parse_map, show_map};
use gennaker_core::pipelines::write::Seg;

const METHODS: [(&str, &str); 6] = [
    ("GET", "GET"),
    ("POST", "POST"),
    ("PUT", "PUT"),
    ("PATCH", "PATCH"),
    ("DELETE", "DELETE"),
    ("HEAD", "HEAD"),
];

const RESOLUTIONS: [(&str, &str); 3] = [
    ("getMethod", "GET the webhook's URL"),
    ("locationHeader", "GET the response's Location header"),
    ("webhookResponse", "GET a URL found in the response"),
];

/// `Name: value` lines, as an object of headers.
fn show_headers(value: Option<&Value>) -> String {
    show_map(value, ": ")
}

fn parse_headers(text: &str) -> Result<Option<Value>, String> {
    parse_map(text, ':', "Name: value")
}

fn show_payload(value: Option<&Value>) -> String {
    value
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
        .unwrap_or_default()
}

fn parse_payload(text: &str) -> Result<Option<Value>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text).map(Some).map_err(|e| {
        format!(
            "The payload is not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })
}

/// Status codes as `404, 500`.
fn show_codes(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .map(|c| as_text(Some(c)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn parse_codes(text: &str) -> Result<Option<Value>, String> {
    let codes = text
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<u64>()
                .map(Value::from)
                .map_err(|_| format!("{c:?} is not a status code such as 404."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!codes.is_empty()).then_some(Value::Array(codes)))
}

/// An input of text of another shape, its problems shown beside it.
#[component]
fn Shaped(
    key: &'static str,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] hint: String,
    show: fn(Option<&Value>) -> String,
    parse: fn(&str) -> Result<Option<Value>, String>,
    #[prop(optional)] area: bool,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path(key));
    let value = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key(key)],
        field.clone(),
        show,
        parse,
    );
    view! { <Input id label field value area hint /> }
}

#[component]
pub(super) fn WebhookForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let waits = draft.flag(&scope.ref_id, vec![Seg::Key("waitForCompletion")], false);
    let resolution = draft.setting(&scope.ref_id, vec![Seg::Key("statusUrlResolution")], false);
    view! {
        <Setting path=vec![Seg::Key("url")] id="stage-webhook-url" label="URL" required=true hint="http:// or https://; may hold expressions." />
        <Choice path=vec![Seg::Key("method")] id="stage-webhook-method" label="Method" options=METHODS.to_vec() />
        <Shaped key="customHeaders" id="stage-webhook-headers" label="Headers" hint="Name: value, one per line." show=show_headers parse=parse_headers area=true />
        <Shaped key="payload" id="stage-webhook-payload" label="Payload" hint="JSON; strings may hold expressions." show=show_payload parse=parse_payload area=true />
        <div class="form-grid">
            <Shaped key="failFastStatusCodes" id="stage-webhook-fail-fast" label="Fail fast status codes" hint="Comma-separated: the stage fails at once on these." show=show_codes parse=parse_codes />
            <Shaped key="retryStatusCodes" id="stage-webhook-retry" label="Retry status codes" hint="Comma-separated: the call is tried again on these." show=show_codes parse=parse_codes />
        </div>
        <Flag path=vec![Seg::Key("waitForCompletion")] id="stage-webhook-wait" label="Wait for completion" />
        {move || waits.get.get().then(|| view! {
            <Choice path=vec![Seg::Key("statusUrlResolution")] id="stage-webhook-resolution" label="Read the status by" options=RESOLUTIONS.to_vec() />
            {move || (resolution.get.get() == "webhookResponse").then(|| view! {
                <Setting path=vec![Seg::Key("statusUrlJsonPath")] id="stage-webhook-status-url-path" label="Status URL JSON path" hint="Where the response gives the URL, such as $.links.status." />
            })}
            <Setting path=vec![Seg::Key("statusJsonPath")] id="stage-webhook-status-path" label="Status JSON path" required=true hint="Such as $.status." />
            <div class="form-grid">
                <Setting path=vec![Seg::Key("successStatuses")] id="stage-webhook-success" label="Success statuses" hint="Comma-separated." />
                <Setting path=vec![Seg::Key("canceledStatuses")] id="stage-webhook-canceled" label="Canceled statuses" hint="Comma-separated." />
                <Setting path=vec![Seg::Key("terminalStatuses")] id="stage-webhook-terminal" label="Terminal statuses" hint="Comma-separated." />
            </div>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_codes_and_payload_read_back() {
        let headers = parse_headers("Authorization: Bearer ${secret}\n\nX-Team: web").unwrap();
        assert_eq!(
            headers,
            Some(json!({"Authorization": "Bearer ${secret}", "X-Team": "web"}))
        );
        assert_eq!(
            show_headers(headers.as_ref()),
            "Authorization: Bearer ${secret}\nX-Team: web"
        );
        assert!(parse_headers("no colon").is_err());
        assert_eq!(parse_codes("404, 500").unwrap(), Some(json!([404, 500])));
        assert!(parse_codes("404, oops").is_err());
        assert_eq!(show_codes(Some(&json!([404, "500"]))), "404, 500");
        assert!(parse_payload("{\"a\": ").unwrap_err().contains("line 1"));
        assert_eq!(parse_payload("  ").unwrap(), None);
    }
}
