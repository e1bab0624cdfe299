//! The form of each stage type, writing Spinnaker's field names into the stage's settings:
//! Wait, Manual Judgment, Evaluate Variables, Pipeline, Deploy (Manifest), Delete (Manifest)
//! here; Check Preconditions, Webhook and Deploy in their own modules. A type Gennaker does not
//! run shows its JSON, kept as it is. Also the pieces the forms share: a setting as an input,
//! a list of objects, a Kubernetes account.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::cluster_stages::{
    CleanupForm, FindImageForm, ManifestObject, ResizeForm, ScaleManifestForm, ServerGroupForm,
    UndoRolloutForm,
};
use super::deploy::DeployForm;
use super::draft::{Draft, as_text};
use super::preconditions::PreconditionsForm;
use super::stage::StageScope;
use super::webhook::WebhookForm;
use crate::components::feedback::Loading;
use crate::components::fields::{Binding, CheckboxField, SelectField, TextArea, TextField};
use crate::error::settle;
use crate::infrastructure::{jenkins_jobs, list_jenkins_masters, list_kubernetes_accounts};
use crate::pipelines::model::StageType;
use crate::pipelines::write::{Seg, path_text};
use crate::pipelines::{list_pipelines, read_manifests};

/// The form of a stage of type `kind`.
#[component]
pub(super) fn TypeForm(kind: String) -> impl IntoView {
    let Some(kind) = StageType::parse(&kind) else {
        return view! { <Unsupported kind /> }.into_any();
    };
    let form = match kind {
        StageType::Wait => view! {
            <Setting path=vec![Seg::Key("waitTime")] id="stage-wait-time" label="Wait time (seconds)" number=true required=true
                hint="Seconds, or an expression such as ${parameters.waitSeconds}." />
        }
        .into_any(),
        StageType::ManualJudgment => view! { <JudgmentForm /> }.into_any(),
        StageType::CheckPreconditions => view! { <PreconditionsForm /> }.into_any(),
        StageType::EvaluateVariables => view! { <VariablesForm /> }.into_any(),
        StageType::Pipeline => view! { <PipelineForm /> }.into_any(),
        StageType::Webhook => view! { <WebhookForm /> }.into_any(),
        StageType::DeployManifest => view! { <DeployManifestForm /> }.into_any(),
        StageType::DeleteManifest => view! { <ManifestObject /> }.into_any(),
        StageType::Deploy => view! { <DeployForm /> }.into_any(),
        StageType::ResizeServerGroup => view! { <ResizeForm /> }.into_any(),
        StageType::DisableServerGroup
        | StageType::EnableServerGroup
        | StageType::DestroyServerGroup => view! { <ServerGroupForm /> }.into_any(),
        StageType::FindImageFromCluster => view! { <FindImageForm /> }.into_any(),
        StageType::ScaleDownCluster => view! {
            <CleanupForm keep="remainingFullSizeServerGroups" larger="preferLargerOverNewer" active="allowScaleDownActive" verb="scale down" />
        }
        .into_any(),
        StageType::ShrinkCluster => view! {
            <CleanupForm keep="shrinkToSize" larger="retainLargerOverNewer" active="allowDeleteActive" verb="delete" />
        }
        .into_any(),
        StageType::ScaleManifest => view! { <ScaleManifestForm /> }.into_any(),
        StageType::UndoRolloutManifest => view! { <UndoRolloutForm /> }.into_any(),
        StageType::RunJobManifest => view! { <RunJobForm /> }.into_any(),
        StageType::Script => view! { <ScriptForm /> }.into_any(),
        StageType::Jenkins => view! { <JenkinsForm /> }.into_any(),
    };
    view! {
        <fieldset class="field-group type-form">
            <legend>{format!("{} configuration", kind.label())}</legend>
            {form}
        </fieldset>
    }
    .into_any()
}

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

/// One value per line, as `[{"value": ...}]`.
fn show_inputs(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| as_text(i.get("value")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn parse_inputs(text: &str) -> Result<Option<Value>, String> {
    let items: Vec<Value> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| json!({"value": l}))
        .collect();
    Ok(Some(Value::Array(items)))
}

/// Spinnaker's `selectedStageRoles` as the editor shows it: separated by commas.
fn show_roles(value: Option<&Value>) -> String {
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

fn parse_roles(text: &str) -> Result<Option<Value>, String> {
    let roles: Vec<Value> = text
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| json!(r))
        .collect();
    Ok((!roles.is_empty()).then_some(Value::Array(roles)))
}

#[component]
fn JudgmentForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let field = draft.show(scope.path("judgmentInputs"));
    let inputs = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("judgmentInputs")],
        field.clone(),
        show_inputs,
        parse_inputs,
    );
    let roles_field = draft.show(scope.path("selectedStageRoles"));
    let roles = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("selectedStageRoles")],
        roles_field.clone(),
        show_roles,
        parse_roles,
    );
    view! {
        <Setting path=vec![Seg::Key("instructions")] id="stage-instructions" label="Instructions" area=true
            hint="What the approver should check before deciding." />
        <Input id="stage-judgment-inputs" label="Judgment inputs" field value=inputs area=true
            hint="Options the approver picks from when continuing, one per line (optional)." />
        <Input id="stage-judgment-roles" label="Authorized roles" field=roles_field value=roles
            hint="Only people with one of these roles may decide, separated by commas (empty: anyone who may run the pipeline)." />
        <div class="form-grid">
            <Setting path=vec![Seg::Key("continueButtonLabel")] id="stage-continue-label" label="Continue button label" hint="Default: Continue" />
            <Setting path=vec![Seg::Key("stopButtonLabel")] id="stage-stop-label" label="Stop button label" hint="Default: Stop" />
        </div>
    }
}

#[component]
fn VariablesForm() -> impl IntoView {
    let row = |i: usize| {
        view! {
            <div class="form-grid">
                <Setting path=vec![Seg::Key("variables"), Seg::Index(i), Seg::Key("key")] id=format!("stage-variable-{i}-key") label="Name" required=true />
                <Setting path=vec![Seg::Key("variables"), Seg::Index(i), Seg::Key("value")] id=format!("stage-variable-{i}-value") label="Value"
                    hint="Text or an expression such as ${parameters.env}." />
            </div>
        }
    };
    view! { <SettingList key="variables" label="Variable" add="+ Add variable" new_item=|| json!({"key": "", "value": ""}) row /> }
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

fn show_pairs(value: Option<&Value>) -> String {
    show_map(value, "=")
}

fn parse_pairs(text: &str) -> Result<Option<Value>, String> {
    parse_map(text, '=', "name=value")
}

#[component]
fn PipelineForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let own_id = draft.config.with_untracked(|c| c.id.clone());
    let application = draft.setting(&scope.ref_id, vec![Seg::Key("application")], false);
    let pipelines = Resource::new(
        move || application.get.get(),
        |app| async move {
            if app.trim().is_empty() {
                Ok(Vec::new())
            } else {
                list_pipelines(app).await
            }
        },
    );
    let field = draft.show(scope.path("pipeline"));
    let chosen = draft.setting(&scope.ref_id, vec![Seg::Key("pipeline")], false);
    let errors = draft.errors();
    let parameters_field = draft.show(scope.path("pipelineParameters"));
    let parameters = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("pipelineParameters")],
        parameters_field.clone(),
        show_pairs,
        parse_pairs,
    );
    view! {
        <Setting path=vec![Seg::Key("application")] id="stage-pipeline-application" label="Application" required=true />
        <Transition fallback=|| view! { <Loading label="Loading pipelines…" /> }>
            {move || {
                let (field, own_id) = (field.clone(), own_id.clone());
                Suspend::new(async move {
                    let list = pipelines.await.unwrap_or_default();
                    let mut options = vec![(String::new(), "Choose a pipeline".to_string())];
                    options.extend(list.into_iter().filter(|p| p.config.id != own_id).map(|p| (p.config.id, p.config.name)));
                    view! { <SelectField id="stage-pipeline" label="Pipeline" field value=chosen errors options=Signal::stored(options) /> }
                })
            }}
        </Transition>
        <Input id="stage-pipeline-parameters" label="Parameters" field=parameters_field value=parameters area=true
            hint="name=value, one per line; values may be expressions." />
        <Flag path=vec![Seg::Key("waitForCompletion")] id="stage-pipeline-wait" label="Wait for the pipeline to finish" default=true />
    }
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
fn ManifestText(#[prop(optional)] single: bool) -> impl IntoView {
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
    let value = super::draft::typed(initial, {
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

#[component]
fn RunJobForm() -> impl IntoView {
    view! {
        <AccountChoice id="stage-job-account" />
        <ManifestText single=true />
        <Setting path=vec![Seg::Key("propertyFile")] id="stage-property-file" label="Output properties from container"
            hint="Optional: the container whose log has lines SPINNAKER_PROPERTY_NAME=value or SPINNAKER_CONFIG_JSON={...}; they become the stage's outputs, and the stage fails without them." />
        <Flag path=vec![Seg::Key("deleteJob")] id="stage-delete-job" label="Delete the Job once it has finished (its logs are kept here)" />
    }
}

#[component]
fn JenkinsForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let masters = Resource::new(|| (), |_| list_jenkins_masters());
    let master = draft.setting(&scope.ref_id, vec![Seg::Key("master")], false);
    let master_field = draft.show(scope.path("master"));
    let jobs = Resource::new(
        move || master.get.get(),
        |name| async move {
            if name.trim().is_empty() || name.contains("${") {
                Ok(Vec::new())
            } else {
                jenkins_jobs(name).await
            }
        },
    );
    let errors = draft.errors();
    let parameters_field = draft.show(scope.path("parameters"));
    let parameters = draft.parsed(
        &scope.ref_id,
        vec![Seg::Key("parameters")],
        parameters_field.clone(),
        show_pairs,
        parse_pairs,
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Loading Jenkins masters…" /> }>
            {move || {
                let field = master_field.clone();
                Suspend::new(async move {
                    let current = master.get.get_untracked();
                    let mut options = vec![(String::new(), "Choose a master".to_string())];
                    options.extend(masters.await.unwrap_or_default().into_iter().map(|m| (m.clone(), m)));
                    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
                        options.push((current.clone(), current));
                    }
                    view! { <SelectField id="stage-jenkins-master" label="Master" field value=master errors options=Signal::stored(options) /> }
                })
            }}
        </Transition>
        <Setting path=vec![Seg::Key("job")] id="stage-jenkins-job" label="Job" required=true
            hint="The job's name; a job in a folder as folder/job." />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) if !list.is_empty() => view! {
                        <p class="hint jenkins-jobs">{format!("Jobs on this master: {}", list.join(", "))}</p>
                    }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(error) => view! { <p class="hint">{format!("The master's jobs cannot be listed: {error}")}</p> }.into_any(),
                }
            })}
        </Transition>
        <Input id="stage-jenkins-parameters" label="Parameters" field=parameters_field value=parameters area=true
            hint="name=value, one per line; values may be expressions such as ${trigger['tag']}." />
        <Setting path=vec![Seg::Key("propertyFile")] id="stage-jenkins-property-file" label="Property file"
            hint="Optional: an archived file of the build (key=value, JSON or YAML) whose values become the stage's outputs." />
        <Flag path=vec![Seg::Key("markUnstableAsSuccessful")] id="stage-jenkins-unstable" label="Mark UNSTABLE as successful" />
        <Flag path=vec![Seg::Key("waitForCompletion")] id="stage-jenkins-wait" label="Wait for the build to finish" default=true />
    }
}

#[component]
fn ScriptForm() -> impl IntoView {
    view! {
        <div class="form-grid">
            <AccountChoice id="stage-script-account" />
            <Setting path=vec![Seg::Key("namespace")] id="stage-script-namespace" label="Namespace" hint="Default: default" />
        </div>
        <Setting path=vec![Seg::Key("image")] id="stage-script-image" label="Image" required=true
            hint="The container image the script runs in, such as alpine:3.20; it needs sh." />
        <Setting path=vec![Seg::Key("command")] id="stage-script-command" label="Script" required=true area=true
            hint="Run with sh -c; a non-zero exit fails the stage. Lines it prints as SPINNAKER_PROPERTY_NAME=value become outputs." />
        <Flag path=vec![Seg::Key("deleteJob")] id="stage-delete-job" label="Delete the Job once it has finished (its logs are kept here)" />
    }
}

#[component]
fn DeployManifestForm() -> impl IntoView {
    view! {
        <AccountChoice id="stage-manifest-account" />
        <Setting path=vec![Seg::Key("namespaceOverride")] id="stage-namespace-override" label="Namespace override"
            hint="Optional: deploy every object into this namespace." />
        <ManifestText />
    }
}

/// A stage type Gennaker does not run: kept as it is, shown as JSON.
#[component]
fn Unsupported(kind: String) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let scope = expect_context::<StageScope>();
    let json = draft.with_stage(&scope.ref_id, |s| {
        s.map(|s| serde_json::to_string_pretty(&s.settings).unwrap_or_default())
            .unwrap_or_default()
    });
    view! {
        <fieldset class="field-group type-form">
            <legend>{format!("{kind} configuration")}</legend>
            <p class="warning">
                {format!("Gennaker does not run {kind} stages yet. The stage is kept exactly as it is, and the pipeline cannot start until it is removed or replaced. Change it with Edit as JSON.")}
            </p>
            <pre class="json" aria-label="The stage's settings">{json}</pre>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_shapes_read_back() {
        let inputs = parse_inputs("ship\n\n hold \n").unwrap();
        assert_eq!(inputs, Some(json!([{"value": "ship"}, {"value": "hold"}])));
        assert_eq!(show_inputs(inputs.as_ref()), "ship\nhold");
        let pairs = parse_pairs("env = prod\nregion=eu=1").unwrap();
        assert_eq!(pairs, Some(json!({"env": "prod", "region": "eu=1"})));
        assert_eq!(show_pairs(pairs.as_ref()), "env=prod\nregion=eu=1");
        assert!(parse_pairs("nonsense").is_err());
        assert_eq!(
            json_manifests("{\"kind\": \"ConfigMap\"}").map(|m| m.len()),
            Some(1)
        );
        assert_eq!(json_manifests("kind: ConfigMap"), None);
    }
}
