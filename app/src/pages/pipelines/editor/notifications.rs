//! Notifications in the editor: the pipeline's (in its Configuration) and a stage's (with
//! "Send notifications"), one row per notification with its kind, where it goes, its secret and
//! when it is sent, written with Spinnaker's names (`type`, `address`, `when`, and Gennaker's
//! `secretName`). Fields the form does not show (custom messages, other kinds) are kept.

use leptos::prelude::*;
use serde_json::{Value, json};

use super::draft::{Draft, as_text};
use super::scope::StageScope;
use crate::components::fields::{Binding, CheckboxField, SelectField, TextField};
use crate::pipelines::secret_names;
use gennaker_core::pipelines::notifications::{PIPELINE_EVENTS, event_label, stage_events};
use gennaker_core::pipelines::write::{self, Seg};

/// Where the list lives: the pipeline's `notifications`, or a stage's.
#[derive(Clone, PartialEq)]
enum Place {
    Pipeline,
    Stage(String),
}

fn list(draft: Draft, place: &Place) -> Vec<Value> {
    match place {
        Place::Pipeline => draft
            .config
            .with(|c| c.notifications.clone().unwrap_or_default()),
        Place::Stage(ref_id) => draft.with_stage(ref_id, |s| {
            s.and_then(|s| s.settings.get("notifications"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }),
    }
}

fn change(draft: Draft, place: &Place, edit: impl FnOnce(&mut Vec<Value>)) {
    match place {
        Place::Pipeline => draft.config.update(|c| {
            let mut items = c.notifications.take().unwrap_or_default();
            edit(&mut items);
            c.notifications = (!items.is_empty()).then_some(items);
        }),
        Place::Stage(ref_id) => draft.update_stage(ref_id, |s| {
            let mut items = s
                .settings
                .get("notifications")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            edit(&mut items);
            write::set(
                &mut s.settings,
                &[Seg::Key("notifications")],
                Some(Value::Array(items)),
            );
        }),
    }
}

/// The pipeline's notifications.
#[component]
pub(super) fn PipelineNotifications() -> impl IntoView {
    view! { <NotificationList place=Place::Pipeline events=PIPELINE_EVENTS.to_vec() path=String::new() /> }
}

/// The open stage's notifications, behind its "Send notifications" switch.
#[component]
pub(super) fn StageNotifications(kind: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let on = draft.flag(&scope.ref_id, vec![Seg::Key("sendNotifications")], false);
    let place = Place::Stage(scope.ref_id.clone());
    let path = scope.base.clone();
    let events = stage_events(&kind);
    view! {
        <CheckboxField id="stage-send-notifications" label="Send notifications for this stage" checked=on />
        {move || on.get.get().then(|| view! {
            <NotificationList place=place.clone() events=events.clone() path=path.clone() />
        })}
    }
}

#[component]
fn NotificationList(place: Place, events: Vec<&'static str>, path: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let count = Memo::new({
        let place = place.clone();
        move |_| list(draft, &place).len()
    });
    let add = {
        let place = place.clone();
        move |_| {
            let level = if place == Place::Pipeline {
                "pipeline"
            } else {
                "stage"
            };
            change(draft, &place, |items| {
                items.push(json!({"type": "email", "level": level, "when": []}));
            })
        }
    };
    let prefix = if path.is_empty() {
        "notification".to_string()
    } else {
        "stage-notification".to_string()
    };
    let add_id = format!("add-{prefix}");
    view! {
        <fieldset class="field-group notifications">
            <legend>{move || format!("Notifications ({})", count.get())}</legend>
            {move || {
                let n = count.get();
                if n == 0 {
                    return view! { <p class="hint">"No notifications."</p> }.into_any();
                }
                (0..n)
                    .map(|i| view! { <NotificationRow place=place.clone() i events=events.clone() path=path.clone() prefix=prefix.clone() /> })
                    .collect_view()
                    .into_any()
            }}
            <button type="button" class="button small" id=add_id on:click=add>"+ Add notification"</button>
        </fieldset>
    }
}

fn item_value(draft: Draft, place: &Place, i: usize, key: &str) -> Option<Value> {
    list(draft, place).get(i).and_then(|n| n.get(key).cloned())
}

fn set_item_value(draft: Draft, place: &Place, i: usize, key: &'static str, value: Option<Value>) {
    change(draft, place, |items| {
        if let Some(Value::Object(n)) = items.get_mut(i) {
            match value {
                Some(v) => {
                    n.insert(key.to_string(), v);
                }
                None => {
                    n.remove(key);
                }
            }
        }
    });
}

fn text(draft: Draft, place: Place, i: usize, key: &'static str) -> Binding {
    let read = place.clone();
    Binding::new(
        move || as_text(item_value(draft, &read, i, key).as_ref()),
        move |v: String| set_item_value(draft, &place, i, key, (!v.is_empty()).then(|| json!(v))),
    )
}

fn sent_on(draft: Draft, place: Place, i: usize, event: &'static str) -> Binding<bool> {
    let read = place.clone();
    let current = move |place: &Place| -> Vec<Value> {
        item_value(draft, place, i, "when")
            .and_then(|w| w.as_array().cloned())
            .unwrap_or_default()
    };
    Binding::new(
        move || current(&read).iter().any(|w| w == event),
        move |on: bool| {
            let mut when: Vec<Value> = current(&place).into_iter().filter(|w| w != event).collect();
            if on {
                when.push(json!(event));
            }
            set_item_value(draft, &place, i, "when", Some(Value::Array(when)));
        },
    )
}

#[component]
fn NotificationRow(
    place: Place,
    i: usize,
    events: Vec<&'static str>,
    path: String,
    prefix: String,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let kind = text(draft, place.clone(), i, "type");
    let address = text(draft, place.clone(), i, "address");
    let secret = text(draft, place.clone(), i, "secretName");
    let field = move |key: &str| {
        let base = if path.is_empty() {
            format!("notifications[{i}]")
        } else {
            format!("{path}.notifications[{i}]")
        };
        draft.show(format!("{base}.{key}"))
    };
    let id = {
        let prefix = prefix.clone();
        move |key: &str| format!("{prefix}-{i}-{key}")
    };
    let kinds = vec![
        ("email".to_string(), "E-mail".to_string()),
        ("slack".to_string(), "Slack (incoming webhook)".to_string()),
        ("webhook".to_string(), "Webhook (JSON)".to_string()),
    ];
    let names = Resource::new(|| (), |_| secret_names());
    // Read without suspending: the choice appears only for some kinds, after hydration.
    let secret_options = Signal::derive(move || {
        let mut options = vec![(String::new(), "None".to_string())];
        options.extend(
            names
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|n| (n.clone(), n)),
        );
        let current = secret.get.get();
        if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
            options.push((current.clone(), format!("{current} (not configured)")));
        }
        options
    });
    let when_field = field("when");
    let address_label = move || match kind.get.get().as_str() {
        "email" => "E-mail addresses",
        "slack" => "Channel",
        _ => "URL",
    };
    let address_hint = move || match kind.get.get().as_str() {
        "email" => "Separated by commas.",
        "slack" => "Optional, such as #deploys; the webhook's own channel when empty.",
        _ => "Where the JSON is posted; or leave it empty and choose a secret that holds the URL.",
    };
    let boxes = events
        .iter()
        .map(|event| {
            let checked = sent_on(draft, place.clone(), i, event);
            view! { <CheckboxField id=format!("{}-{}", id("when"), event.replace('.', "-")) label=format!("On {}", event_label(event)) checked /> }
        })
        .collect_view();
    let remove = {
        let place = place.clone();
        move |_| {
            change(draft, &place, |items| {
                if i < items.len() {
                    items.remove(i);
                }
            })
        }
    };
    let (address_id, address_field, kind_id, kind_field, secret_id, secret_field) = (
        id("address"),
        field("address"),
        id("type"),
        field("type"),
        id("secret"),
        field("secretName"),
    );
    view! {
        <div class="list-item notification" role="group" aria-label=format!("Notification {}", i + 1)>
            <SelectField id=kind_id label="Send by" field=kind_field value=kind errors options=Signal::stored(kinds) />
            {move || {
                let (id, field) = (address_id.clone(), address_field.clone());
                view! { <TextField id field value=address errors label=address_label() hint=address_hint() /> }
            }}
            {move || (kind.get.get() != "email").then(|| {
                let (id, field) = (secret_id.clone(), secret_field.clone());
                view! { <SelectField id field value=secret errors options=secret_options label="Secret holding the URL" /> }
            })}
            {move || (kind.get.get() == "slack" && secret.get.get().is_empty()).then(|| view! {
                <p class="hint">"Without a secret holding a Slack incoming webhook's URL this notification is kept (as Spinnaker's bot-token Slack) but not sent."</p>
            })}
            <div class="checkbox-row">{boxes}</div>
            {move || draft.messages(&when_field).into_iter().map(|m| view! { <p class="field-error" role="alert">{m}</p> }).collect_view()}
            <button type="button" class="button small" on:click=remove aria-label=format!("Remove notification {}", i + 1)>"Remove"</button>
        </div>
    }
}
