//! What the stages that act on a cluster or on one Kubernetes object share: the account,
//! namespace and cluster (Deck's `credentials`, `namespaces`, `cluster`), which server group
//! (`target` or `serverGroupName`), the cleanup settings of Scale Down and Shrink Cluster, and one
//! object or the objects found when the stage runs (`account`, `location`, Deck's `mode`:
//! `manifestName`, or `cluster` and `criteria`, or `kinds` and `labelSelectors`).

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::components::fields::SelectField;
use crate::pages::pipelines::editor::draft::{Draft, as_text};
use crate::pages::pipelines::editor::scope::StageScope;
use crate::pages::pipelines::editor::widgets::{
    AccountChoice, Flag, Input, Setting, parse_list, show_list,
};
use gennaker_core::pipelines::write::Seg;
use gennaker_core::tasks::model::{
    Criteria, LabelSelector, ServerGroupPick, parse_selector_query, selector_query,
};

/// The value of the target choice that names a server group instead.
const NAMED: &str = "named";

fn show_first(value: Option<&Value>) -> String {
    match value {
        Some(Value::Array(items)) => as_text(items.first()),
        other => as_text(other),
    }
}

fn parse_list_of_one(text: &str) -> Result<Option<Value>, String> {
    let text = text.trim();
    Ok((!text.is_empty()).then(|| json!([text])))
}

/// The account, namespace and cluster a cluster stage works on.
#[component]
pub(super) fn ClusterPlace(#[prop(optional)] cluster_optional: bool) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path("namespaces"));
    let namespace = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("namespaces")],
        field.clone(),
        show_first,
        parse_list_of_one,
    );
    let hint = if cluster_optional {
        "Application, stack and detail joined by dashes (web-main); not needed for a named server group."
    } else {
        "Application, stack and detail joined by dashes, such as web-main."
    };
    view! {
        <AccountChoice id="stage-cluster-account" key="credentials" />
        <div class="form-grid">
            <Input id="stage-cluster-namespace" label="Namespace" field value=namespace required=true />
            <Setting path=vec![Seg::Key("cluster")] id="stage-cluster-name" label="Cluster" required=!cluster_optional hint />
        </div>
    }
}

/// Which server group: the newest, previous, oldest or largest of the cluster when the stage
/// runs, or one named (an expression may name it).
#[component]
pub(super) fn TargetChoice() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path("target"));
    let target = draft.stage_field(
        &scope.ref_id,
        |s| {
            let target = as_text(s.settings.get("target"));
            if target.is_empty() && s.settings.contains_key("serverGroupName") {
                NAMED.to_string()
            } else {
                target
            }
        },
        |s, chosen: String| {
            if chosen == NAMED {
                s.settings.remove("target");
                s.settings
                    .entry("serverGroupName")
                    .or_insert_with(|| json!(""));
            } else {
                s.settings.remove("serverGroupName");
                s.settings.insert("target".into(), json!(chosen));
            }
        },
    );
    let mut options: Vec<(String, String)> = ServerGroupPick::DYNAMIC
        .into_iter()
        .map(|(_, value, label)| (value.to_string(), label.to_string()))
        .collect();
    options.push((NAMED.to_string(), "A server group by name".to_string()));
    let named = move || target.get.get() == NAMED;
    view! {
        <SelectField id="stage-target" label="Server group" field value=target errors=draft.errors() options=Signal::stored(options) />
        <p class="hint">"Picked when the stage runs: the newest has the highest version."</p>
        {move || named().then(|| view! {
            <Setting path=vec![Seg::Key("serverGroupName")] id="stage-server-group-name" label="Server group name" required=true
                hint="Such as web-main-v003, or an expression." />
        })}
    }
}

/// Scale Down Cluster and Shrink Cluster: how many to keep, which first, and whether active
/// server groups may be touched.
#[component]
pub(super) fn CleanupForm(
    keep: &'static str,
    larger: &'static str,
    active: &'static str,
    verb: &'static str,
) -> impl IntoView {
    view! {
        <ClusterPlace />
        <Setting path=vec![Seg::Key(keep)] id="stage-cleanup-keep" label="Server groups to keep" number=true required=true
            hint="Server groups this execution deployed count as kept and are never touched." />
        <Flag path=vec![Seg::Key(larger)] id="stage-cleanup-larger" label="Keep larger server groups over newer ones" />
        <Flag path=vec![Seg::Key(active)] id="stage-cleanup-active" label=format!("Also {verb} active server groups (ones getting traffic)") />
    }
}

/// Deck's `mode`: how the stage names its objects.
const MODES: [(&str, &str); 3] = [
    ("static", "One object, by name"),
    ("dynamic", "One of a cluster, chosen when the stage runs"),
    ("label", "Those whose labels match, when the stage runs"),
];

/// The objects of a manifest stage in `location` of `account`: one by name (`manifestName`), one
/// of a cluster chosen when it runs (`cluster`, `criteria`, `kind`), or, with `by_label`, those
/// whose labels match (`kinds`, `labelSelectors`).
#[component]
pub(super) fn ManifestObject(#[prop(optional)] by_label: bool) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let mode = draft.stage_field(
        &scope.ref_id,
        |s| match s.settings.get("mode").and_then(Value::as_str) {
            Some(mode @ ("dynamic" | "label")) => mode.to_string(),
            _ => "static".to_string(),
        },
        |s, chosen: String| {
            if chosen == "dynamic" {
                s.settings
                    .entry("criteria")
                    .or_insert_with(|| json!(Criteria::Newest.as_str()));
            }
            s.settings.insert("mode".into(), Value::String(chosen));
        },
    );
    let mode_field = draft.show(scope.path("mode"));
    let options: Vec<(String, String)> = MODES
        .iter()
        .filter(|(value, _)| by_label || *value != "label")
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    view! {
        <AccountChoice id="stage-manifest-account" />
        <Setting path=vec![Seg::Key("location")] id="stage-manifest-namespace" label="Namespace" required=true />
        <SelectField id="stage-manifest-mode" label="Objects" field=mode_field value=mode errors=draft.errors() options=Signal::stored(options) />
        {move || match mode.get.get().as_str() {
            "dynamic" => view! { <ClusterObject /> }.into_any(),
            "label" => view! { <LabelledObjects /> }.into_any(),
            _ => view! { <NamedObject /> }.into_any(),
        }}
    }
}

/// `manifestName` as a kind and a name.
#[component]
fn NamedObject() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path("manifestName"));
    let part = |first: bool| {
        draft.stage_field(
            &scope.ref_id,
            move |s| {
                let target = as_text(s.settings.get("manifestName"));
                let (kind, name) = target.split_once(' ').unwrap_or(("", target.as_str()));
                if first {
                    kind.to_string()
                } else {
                    name.to_string()
                }
            },
            move |s, text: String| {
                let target = as_text(s.settings.get("manifestName"));
                let (kind, name) = target.split_once(' ').unwrap_or(("", target.as_str()));
                let (kind, name) = if first {
                    (text.trim(), name.trim())
                } else {
                    (kind.trim(), text.trim())
                };
                s.settings.insert(
                    "manifestName".into(),
                    Value::String(join_object(kind, name)),
                );
            },
        )
    };
    let (kind, name) = (part(true), part(false));
    view! {
        <div class="form-grid">
            <Input id="stage-manifest-kind" label="Kind" field=field.clone() value=kind hint="deployment, service, configMap…" />
            <Input id="stage-manifest-name" label="Name" field value=name />
        </div>
    }
}

/// `cluster`, `criteria` and `kind`.
#[component]
fn ClusterObject() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let criteria = draft.stage_field(
        &scope.ref_id,
        |s| as_text(s.settings.get("criteria")),
        |s, chosen: String| {
            s.settings.insert("criteria".into(), Value::String(chosen));
        },
    );
    let criteria_field = draft.show(scope.path("criteria"));
    let options: Vec<(String, String)> = Criteria::ALL
        .into_iter()
        .map(|c| (c.as_str().to_string(), capitalized(c.describe())))
        .collect();
    view! {
        <div class="form-grid">
            <Setting path=vec![Seg::Key("cluster")] id="stage-manifest-cluster" label="Cluster" required=true
                hint="Kind and name as Spinnaker names clusters: replicaSet web, deployment web." />
            <SelectField id="stage-manifest-criteria" label="Which one" field=criteria_field value=criteria errors=draft.errors() options=Signal::stored(options) />
        </div>
        <Setting path=vec![Seg::Key("kind")] id="stage-manifest-cluster-kind" label="Kind"
            hint="Optional: the cluster's kind when empty (replicaSet, deployment…)." />
    }
}

/// `kinds` and `labelSelectors.selectors`, written as kubectl takes a selector.
#[component]
fn LabelledObjects() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let kinds_field = draft.show(scope.path("kinds"));
    let kinds = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("kinds")],
        kinds_field.clone(),
        show_list,
        parse_list,
    );
    let selectors_field = draft.show_tree(scope.path("labelSelectors"));
    let selectors = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("labelSelectors"), Seg::Key("selectors")],
        selectors_field.clone(),
        show_selectors,
        parse_selectors,
    );
    view! {
        <Input id="stage-manifest-kinds" label="Kinds" field=kinds_field value=kinds required=true
            hint="Comma-separated: deployment, configMap…" />
        <Input id="stage-manifest-labels" label="Labels" field=selectors_field value=selectors required=true
            hint="A selector as kubectl takes it: tier=cache, env in (prod,staging), !keep" />
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect()
}

/// Spinnaker's selector objects as kubectl's text; what does not read as selectors is shown
/// as its JSON.
fn show_selectors(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(value) => match serde_json::from_value::<Vec<LabelSelector>>(value.clone()) {
            Ok(selectors) => selector_query(&selectors),
            Err(_) => value.to_string(),
        },
    }
}

fn parse_selectors(text: &str) -> Result<Option<Value>, String> {
    let selectors = parse_selector_query(text)?;
    if selectors.is_empty() {
        return Ok(None);
    }
    serde_json::to_value(selectors)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `manifestName` from a kind and a name: "deployment web"; "deployment " while the name is
/// still to come (so the kind reads back), "web" without a kind.
fn join_object(kind: &str, name: &str) -> String {
    if kind.is_empty() {
        name.to_string()
    } else {
        format!("{kind} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_typed_before_the_name_is_kept() {
        assert_eq!(join_object("deployment", ""), "deployment ");
        assert_eq!(join_object("deployment", "web"), "deployment web");
        assert_eq!(join_object("", "web"), "web");
    }

    #[test]
    fn label_selectors_are_written_as_kubectl_takes_them() {
        let json = parse_selectors("tier=cache, !keep").unwrap().unwrap();
        assert_eq!(
            json,
            json!([{"kind": "EQUALS", "key": "tier", "values": ["cache"]}, {"kind": "NOT_EXISTS", "key": "keep", "values": []}])
        );
        assert_eq!(show_selectors(Some(&json)), "tier=cache,!keep");
        assert_eq!(parse_selectors("  ").unwrap(), None);
        let odd = json!([{"kind": "SOMETIMES", "key": "x"}]);
        assert_eq!(show_selectors(Some(&odd)), odd.to_string());
        assert_eq!(capitalized("the newest"), "The newest");
    }

    #[test]
    fn a_namespace_is_a_list_of_one() {
        assert_eq!(parse_list_of_one(" prod ").unwrap(), Some(json!(["prod"])));
        assert_eq!(parse_list_of_one("").unwrap(), None);
        assert_eq!(show_first(Some(&json!(["prod"]))), "prod");
        assert_eq!(show_first(Some(&json!("dev"))), "dev");
    }
}
