//! The pieces every stage form is made of: a setting as an input, a flag, a choice, a list of
//! objects, a Kubernetes account, text shapes of maps (`name=value` lines) and manifests.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::draft::{Draft, as_text};
use super::scope::StageScope;
use crate::components::feedback::Loading;
use crate::components::fields::{Binding, CheckboxField, SelectField, TextArea, TextField};
use crate::error::settle;
use crate::infrastructure::list_kubernetes_accounts;
use crate::pipelines::read_manifests;
use gennaker_core::pipelines::write::{Seg, path_text};

/// A labelled input with its error beside it, `hint` under it when there is one.
#[component]
pub(super) fn Input(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    field: String,
    value: Binding,
    #[prop(optional)] required: bool,
    #[prop(optional)] area: bool,
    #[prop(into, optional)] hint: Option<String>,
) -> impl IntoView {
    let errors = expect_context::<Draft>().errors();
    match (area, hint) {
        (true, Some(hint)) => {
            view! { <TextArea id label field value errors hint rows=4 /> }.into_any()
        }
        (true, None) => view! { <TextArea id label field value errors rows=4 /> }.into_any(),
        (false, Some(hint)) => {
            view! { <TextField id label field value errors required hint /> }.into_any()
        }
        (false, None) => view! { <TextField id label field value errors required /> }.into_any(),
    }
}

/// A setting of the stage as an input: text, or with `number` a whole number (an expression
/// stays text).
#[component]
pub(super) fn Setting(
    path: Vec<Seg<'static>>,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional)] number: bool,
    #[prop(optional)] required: bool,
    #[prop(optional)] area: bool,
    #[prop(into, optional)] hint: Option<String>,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(path_text(&scope.base, &path));
    let value = draft.setting(&scope.ref_id, path, number);
    match hint {
        Some(hint) => view! { <Input id label field value required area hint /> }.into_any(),
        None => view! { <Input id label field value required area /> }.into_any(),
    }
}

/// A true/false setting as a checkbox.
#[component]
pub(super) fn Flag(
    path: Vec<Seg<'static>>,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional)] default: bool,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let checked = draft.flag(&scope.ref_id, path, default);
    view! { <CheckboxField id label checked /> }
}

/// A setting chosen from `options` (value, label).
#[component]
pub(super) fn Choice(
    path: Vec<Seg<'static>>,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(path_text(&scope.base, &path));
    let value = draft.setting(&scope.ref_id, path, false);
    let options: Vec<(String, String)> = options
        .into_iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    view! { <SelectField id label field value errors=draft.errors() options=Signal::stored(options) /> }
}

/// A change to a list setting, applied in place.
type ListEdit = Box<dyn FnOnce(&mut Vec<Value>)>;

/// A list of objects at `key` of the settings: `row` draws element `i`; each has a Remove
/// button, and `add` appends `new_item()`.
#[component]
pub(super) fn SettingList<R, V>(
    key: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] add: String,
    new_item: fn() -> Value,
    row: R,
) -> impl IntoView
where
    R: Fn(usize) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let ref_id = scope.ref_id.clone();
    let count = Memo::new(move |_| {
        draft.with_stage(&ref_id, |s| {
            s.and_then(|s| s.settings.get(key))
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
    });
    let change = {
        let ref_id = scope.ref_id.clone();
        move |edit: ListEdit| {
            draft.update_stage(&ref_id, |s| {
                let list = s
                    .settings
                    .entry(key)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(items) = list {
                    edit(items);
                }
            })
        }
    };
    let append = change.clone();
    let item_label = label.clone();
    view! {
        <div class="setting-list" role="group" aria-label=label>
            {move || (0..count.get()).map(|i| {
                let remove = change.clone();
                view! {
                    <div class="list-item" role="group" aria-label=format!("{item_label} {}", i + 1)>
                        {row.clone()(i)}
                        <button type="button" class="button small" on:click=move |_| remove(Box::new(move |items| { if i < items.len() { items.remove(i); } }))>
                            {format!("Remove {} {}", item_label.to_lowercase(), i + 1)}
                        </button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| append(Box::new(move |items| items.push(new_item())))>{add}</button>
        </div>
    }
}

/// The Kubernetes account a stage uses (at `key`: `account` unless told), from the
/// configured ones.
#[component]
pub(super) fn AccountChoice(
    #[prop(into)] id: String,
    #[prop(optional)] key: Option<&'static str>,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let key = key.unwrap_or("account");
    let accounts = Resource::new(|| (), |_| list_kubernetes_accounts());
    let field = draft.show(scope.path(key));
    let value = draft.setting(&scope.ref_id, vec![Seg::Key(key)], false);
    let errors = draft.errors();
    view! {
        <Transition fallback=|| view! { <Loading label="Loading accounts…" /> }>
            {move || {
                let (id, field) = (id.clone(), field.clone());
                Suspend::new(async move {
                    let current = value.get.get_untracked();
                    let mut options: Vec<(String, String)> = vec![(String::new(), "Choose an account".to_string())];
                    options.extend(accounts.await.unwrap_or_default().into_iter().map(|a| (a.name.clone(), a.name)));
                    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
                        options.push((current.clone(), current));
                    }
                    view! { <SelectField id label="Account" field value errors options=Signal::stored(options) /> }
                })
            }}
        </Transition>
    }
}

/// A list of texts as the editor shows it: separated by commas.
pub(super) fn show_list(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| as_text(Some(i)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Comma-separated text as a list of texts; blank entries are left out, nothing at all is none.
pub(super) fn parse_list(text: &str) -> Result<Option<Value>, String> {
    let items: Vec<Value> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Value::String(t.to_string()))
        .collect();
    Ok((!items.is_empty()).then_some(Value::Array(items)))
}

/// An object of text as lines of `key{separator}value`.
pub(super) fn show_map(value: Option<&Value>, separator: &str) -> String {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| format!("{k}{separator}{}", as_text(Some(v))))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Lines of `key{separator}value` as an object of text; `form` says how a line is written.
pub(super) fn parse_map(text: &str, separator: char, form: &str) -> Result<Option<Value>, String> {
    let mut map = Map::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (key, value) = line
            .split_once(separator)
            .ok_or_else(|| format!("Line {}: write it as {form}.", n + 1))?;
        map.insert(
            key.trim().to_string(),
            Value::String(value.trim().to_string()),
        );
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

pub(super) fn show_pairs(value: Option<&Value>) -> String {
    show_map(value, "=")
}

pub(super) fn parse_pairs(text: &str) -> Result<Option<Value>, String> {
    parse_map(text, '=', "name=value")
}

/// Manifests as pretty JSON (which is YAML too).
fn show_manifests(value: Option<&Value>) -> String {
    if let Some(object @ Value::Object(_)) = value {
        return serde_json::to_string_pretty(object).unwrap_or_default();
    }
    match value.and_then(Value::as_array) {
        Some(items) if items.len() == 1 => {
            serde_json::to_string_pretty(&items[0]).unwrap_or_default()
        }
        Some(items) if !items.is_empty() => serde_json::to_string_pretty(items).unwrap_or_default(),
        _ => String::new(),
    }
}

/// JSON read here: one object or a list of them. Anything else (YAML) goes to the server.
fn json_manifests(text: &str) -> Option<Vec<Value>> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(items) => Some(items),
        object @ Value::Object(_) => Some(vec![object]),
        _ => None,
    }
}

/// The manifests as YAML or JSON text. JSON is read at once; YAML is read by the server a
/// moment after the typing stops, and Save waits for it. With `single`, one object is written
/// as `manifest` (Run Job's), not as a list at `manifests`.
#[component]
pub(super) fn ManifestText(#[prop(optional)] single: bool) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let key = if single { "manifest" } else { "manifests" };
    let field = draft.show(scope.path(key));
    let initial = draft.with_stage(&scope.ref_id, |s| {
        show_manifests(s.and_then(|s| s.settings.get(key)))
    });
    let latest = StoredValue::new(0u64);
    let write = {
        let (ref_id, field) = (scope.ref_id.clone(), field.clone());
        move |items: Vec<Value>| {
            draft.local_problem(&field, None);
            draft.update_stage(&ref_id, |s| {
                let value = match <[Value; 1]>::try_from(items) {
                    Ok([object]) if single => object,
                    Ok(items) => Value::Array(items.into()),
                    Err(items) => Value::Array(items),
                };
                s.settings.insert(key.into(), value);
            });
        }
    };
    let value = crate::pages::pipelines::editor::draft::typed(initial, {
        let field = field.clone();
        move |text| {
            latest.update_value(|n| *n += 1);
            if let Some(items) = json_manifests(text) {
                write(items);
                return;
            }
            let (ticket, text, write, field) = (
                latest.get_value(),
                text.to_string(),
                write.clone(),
                field.clone(),
            );
            draft.pending.update(|n| *n += 1);
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        let answer = if latest.get_value() == ticket {
                            Some(settle(read_manifests(text).await))
                        } else {
                            None
                        };
                        draft.pending.update(|n| *n = n.saturating_sub(1));
                        match answer {
                            Some(_) if latest.get_value() != ticket => {}
                            Some(Ok(items)) => write(items),
                            Some(Err(error)) => {
                                draft.local_problem(&field, Some(error.to_string()))
                            }
                            None => {}
                        }
                    })
                },
                std::time::Duration::from_millis(400),
            );
        }
    });
    let (id, label, hint) = if single {
        (
            "stage-job-manifest",
            "Job manifest",
            "One Kubernetes Job as YAML or JSON; metadata.generateName gives each run its own Job. Values may be expressions, such as ${#stage('Build')['outputs']['tag']}.",
        )
    } else {
        (
            "stage-manifests",
            "Manifests",
            "Kubernetes objects as YAML or JSON; separate several YAML documents with ---.",
        )
    };
    view! { <Input id label field value area=true hint /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_shapes_read_back() {
        let pairs = parse_pairs("env = prod\nregion=eu=1").unwrap();
        assert_eq!(
            pairs,
            Some(serde_json::json!({"env": "prod", "region": "eu=1"}))
        );
        assert_eq!(show_pairs(pairs.as_ref()), "env=prod\nregion=eu=1");
        assert!(parse_pairs("nonsense").is_err());
        assert_eq!(
            json_manifests("{\"kind\": \"ConfigMap\"}").map(|m| m.len()),
            Some(1)
        );
        assert_eq!(json_manifests("kind: ConfigMap"), None);
    }
}
