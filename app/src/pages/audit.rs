//! `/audit`: every change made through Gennaker, newest first — who, what, when, and for
//! applications and pipelines which fields changed. Filters by user, application and action
//! travel in the address (the form works before the page is interactive), and the same filter
//! exports as JSON lines. New entries appear as pipelines and tasks change.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde_json::Value;

use crate::audit::{AuditAction, AuditEntry, AuditFilter, list_audit};
use crate::components::feedback::{EmptyState, ErrorPanel, Loading};
use crate::components::layout::PageHeader;
use crate::components::time::When;
use crate::live::use_live;

lazy_page!(
    /// `/audit`.
    AuditRoute => AuditPage
);

/// The fields whose values differ between `before` and `after` (top-level keys of two JSON
/// objects): (field, before, after), each value as compact JSON, empty when absent.
pub fn changed_fields(
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<(String, String, String)> {
    let object = |value: Option<&Value>| {
        value
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (before, after) = (object(before), object(after));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let text = |value: Option<&Value>| match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| (key.clone(), text(before.get(key)), text(after.get(key))))
        .collect()
}

/// The export address for `filter`: the same entries as JSON lines.
fn export_href(filter: &AuditFilter) -> String {
    let mut query = vec!["format=jsonl".to_string()];
    for (name, value) in [
        ("user", &filter.user),
        ("application", &filter.application),
        ("action", &filter.action),
    ] {
        if !value.is_empty() {
            query.push(format!("{name}={}", urlencoding::encode(value)));
        }
    }
    format!("/api/v1/audit?{}", query.join("&"))
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AuditFilter {
            user: q.get("user").unwrap_or_default(),
            application: q.get("application").unwrap_or_default(),
            action: q.get("action").unwrap_or_default(),
            limit: None,
        }
    });
    let live = use_live(None);
    let entries = Resource::new(
        move || (filter.get(), live.pipeline.get(), live.task.get()),
        |(filter, _, _)| list_audit(filter),
    );
    let current = move || filter.get();

    view! {
        <Title text="Audit log" />
        <PageHeader
            title="Audit log"
            summary="Every change made through Gennaker: who made it, when, and what it changed."
        />
        <form method="get" action="/audit" class="card toolbar audit-filters" aria-label="Filter the audit log">
            <div class="field">
                <label for="audit-user">"User"</label>
                <input id="audit-user" name="user" autocomplete="off" prop:value=move || current().user />
            </div>
            <div class="field">
                <label for="audit-application">"Application"</label>
                <input id="audit-application" name="application" autocomplete="off" prop:value=move || current().application />
            </div>
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select id="audit-action" name="action" prop:value=move || current().action>
                    <option value="">"All actions"</option>
                    {AuditAction::ALL
                        .into_iter()
                        .map(|action| view! { <option value=action.as_str()>{action.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button primary">"Filter"</button>
            <a class="button" href=move || export_href(&current()) download="gennaker-audit.jsonl" rel="external">
                "Export JSON lines"
            </a>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading the audit log…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    entries.await.map(|list| {
                        if list.is_empty() {
                            view! {
                                <EmptyState title="No entries">
                                    "Nothing recorded matches this filter yet."
                                </EmptyState>
                            }
                            .into_any()
                        } else {
                            view! {
                                <ol class="audit-list" aria-label="Audit entries">
                                    {list.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
                                </ol>
                            }
                            .into_any()
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// One entry: when, who, what; the fields it changed behind a disclosure.
#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let changes = changed_fields(entry.before.as_ref(), entry.after.as_ref());
    let failed = entry.action == AuditAction::SignInFailed;
    view! {
        <li class="card audit-entry" class:failed=failed>
            <p class="audit-head">
                <strong class="audit-action">{entry.action.label()}</strong>
                " by " <strong class="audit-user">{entry.user.clone()}</strong>
                " " <When at=entry.at />
            </p>
            <p class="audit-target">
                {entry.target.clone()}
                {entry.application.clone().map(|app| view! {
                    " in " <a href=format!("/applications/{app}")>{app.clone()}</a>
                })}
            </p>
            {(!entry.detail.is_empty()).then(|| view! { <p class="hint">{entry.detail.clone()}</p> })}
            {(!changes.is_empty()).then(|| view! {
                <details class="audit-changes">
                    <summary>{format!("{} field(s) changed", changes.len())}</summary>
                    <dl>
                        {changes.into_iter().map(|(field, before, after)| view! {
                            <dt>{field}</dt>
                            <dd>
                                <Value class="audit-before" label="before" text=before />
                                " → "
                                <Value class="audit-after" label="after" text=after />
                            </dd>
                        }).collect_view()}
                    </dl>
                </details>
            })}
        </li>
    }
}

/// One side of a change; an absent value reads "(none)", unmarked.
#[component]
fn Value(class: &'static str, label: &'static str, text: String) -> impl IntoView {
    if text.is_empty() {
        view! { <span class="hint" aria-label=label>"(none)"</span> }.into_any()
    } else {
        view! { <span class=class aria-label=label>{text}</span> }.into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_that_differ_are_shown() {
        let before =
            json!({"name": "web", "ownerEmail": "a@example.com", "permissions": {"READ": []}});
        let after = json!({"name": "web", "ownerEmail": "b@example.com", "description": "x", "permissions": {"READ": ["dev"]}});
        assert_eq!(
            changed_fields(Some(&before), Some(&after)),
            vec![
                ("description".to_string(), String::new(), "x".to_string()),
                (
                    "ownerEmail".to_string(),
                    "a@example.com".to_string(),
                    "b@example.com".to_string()
                ),
                (
                    "permissions".to_string(),
                    r#"{"READ":[]}"#.to_string(),
                    r#"{"READ":["dev"]}"#.to_string()
                ),
            ]
        );
        assert_eq!(changed_fields(None, Some(&json!({"a": 1}))).len(), 1);
        assert!(changed_fields(None, None).is_empty());
    }

    #[test]
    fn the_export_keeps_the_filter() {
        let filter = AuditFilter {
            user: "maria".into(),
            action: "pipelineUpdated".into(),
            ..AuditFilter::default()
        };
        assert_eq!(
            export_href(&filter),
            "/api/v1/audit?format=jsonl&user=maria&action=pipelineUpdated"
        );
    }
}
