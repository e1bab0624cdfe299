//! The pipeline's automated triggers, as Deck's "Automated Triggers": one row per trigger with
//! its Enabled switch and the fields of its type, written with Spinnaker's names into
//! `triggers[]` (fields the form does not show are kept). A CRON trigger shows its next five
//! runs as you type; a Docker Registry trigger shows when its repository was last looked at;
//! webhook triggers show the URL to call.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::draft::{Draft, as_text, typed};
use crate::components::fields::{Binding, CheckboxField, SelectField, TextArea, TextField};
use crate::error::settle;
use crate::infrastructure::{
    list_docker_registries, list_jenkins_masters, registry_repositories, registry_tags,
};
use crate::pages::application::ApplicationContext;
use crate::pipelines::{
    cron_runs, list_pipelines, secret_names, service_user_names, watched_repositories,
};
use gennaker_core::pipelines::model::Trigger;
use gennaker_core::pipelines::triggers::{
    DEFAULT_TIME_ZONE, DockerTagPattern, GitSource, JENKINS_RESULTS, PIPELINE_STATUSES, TriggerType,
};

/// A new trigger of `kind`, with the defaults its form starts from.
fn new_trigger(kind: TriggerType, application: &str) -> Trigger {
    let mut extra = Map::new();
    match kind {
        TriggerType::Cron => {
            extra.insert("cronExpression".into(), json!("0 0 3 ? * MON-FRI"));
            extra.insert("timeZone".into(), json!(DEFAULT_TIME_ZONE));
        }
        TriggerType::Git => {
            extra.insert("source".into(), json!("github"));
        }
        TriggerType::Pipeline => {
            extra.insert("application".into(), json!(application));
            extra.insert("status".into(), json!(["successful"]));
        }
        TriggerType::Jenkins => {
            extra.insert("buildResults".into(), json!(["SUCCESS"]));
        }
        TriggerType::Docker | TriggerType::Webhook => {}
    }
    Trigger {
        kind: kind.as_str().to_string(),
        enabled: Some(true),
        extra,
    }
}

fn trigger_value(draft: Draft, i: usize, key: &'static str) -> Option<Value> {
    draft.config.with(|c| {
        c.triggers
            .as_ref()
            .and_then(|t| t.get(i))
            .and_then(|t| t.extra.get(key).cloned())
    })
}

fn set_trigger_value(draft: Draft, i: usize, key: &'static str, value: Option<Value>) {
    draft.config.update(|c| {
        if let Some(t) = c.triggers.as_mut().and_then(|t| t.get_mut(i)) {
            match value {
                Some(value) => {
                    t.extra.insert(key.to_string(), value);
                }
                None => {
                    t.extra.remove(key);
                }
            }
        }
    });
}

/// A text field of trigger `i`; blank removes it.
fn text(draft: Draft, i: usize, key: &'static str) -> Binding {
    Binding::new(
        move || as_text(trigger_value(draft, i, key).as_ref()),
        move |v: String| set_trigger_value(draft, i, key, (!v.is_empty()).then(|| json!(v))),
    )
}

/// Whether `value` is in trigger `i`'s list `key`.
fn in_list(draft: Draft, i: usize, key: &'static str, value: &'static str) -> Binding<bool> {
    let list = move || -> Vec<Value> {
        trigger_value(draft, i, key)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    };
    Binding::new(
        move || list().iter().any(|v| v == value),
        move |on: bool| {
            let mut items: Vec<Value> = list().into_iter().filter(|v| v != value).collect();
            if on {
                items.push(json!(value));
            }
            set_trigger_value(draft, i, key, Some(Value::Array(items)));
        },
    )
}

#[component]
pub(super) fn TriggersForm() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let application = expect_context::<ApplicationContext>().name;
    let count = Memo::new(move |_| {
        draft
            .config
            .with(|c| c.triggers.as_ref().map_or(0, Vec::len))
    });
    let choice = RwSignal::new(TriggerType::Docker.as_str().to_string());
    let add = move |_| {
        let Some(kind) = TriggerType::parse(&choice.get_untracked()) else {
            return;
        };
        let trigger = new_trigger(kind, &application.get_untracked());
        draft
            .config
            .update(|c| c.triggers.get_or_insert_with(Vec::new).push(trigger));
    };
    let kinds: Vec<(String, String)> = TriggerType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect();
    let errors = draft.errors();
    view! {
        <fieldset class="field-group triggers">
            <legend>{move || format!("Automated triggers ({})", count.get())}</legend>
            {move || {
                let n = count.get();
                if n == 0 {
                    return view! { <p class="hint">"No triggers: the pipeline starts only by hand."</p> }.into_any();
                }
                (0..n).map(|i| view! { <TriggerRow i /> }).collect_view().into_any()
            }}
            <div class="add-trigger">
                <SelectField id="add-trigger-type" label="New trigger" field="newTrigger" value=Binding::from(choice) errors options=Signal::stored(kinds) />
                <button type="button" class="button small" id="add-trigger" on:click=add>"+ Add trigger"</button>
            </div>
        </fieldset>
    }
}

#[component]
fn TriggerRow(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let kind = draft.config.with_untracked(|c| {
        c.triggers
            .as_ref()
            .and_then(|t| t.get(i))
            .map(|t| t.kind.clone())
            .unwrap_or_default()
    });
    let label = TriggerType::parse(&kind).map_or_else(|| kind.clone(), |t| t.label().to_string());
    let enabled = draft.field(
        move |c| {
            c.triggers
                .as_ref()
                .and_then(|t| t.get(i))
                .is_some_and(gennaker_core::pipelines::triggers::is_enabled)
        },
        move |c, on| {
            if let Some(t) = c.triggers.as_mut().and_then(|t| t.get_mut(i)) {
                t.enabled = Some(on);
            }
        },
    );
    let remove = move |_| {
        draft.config.update(|c| {
            if let Some(t) = c.triggers.as_mut()
                && i < t.len()
            {
                t.remove(i);
            }
        })
    };
    let fields = match TriggerType::parse(&kind) {
        Some(TriggerType::Docker) => view! { <DockerFields i /> }.into_any(),
        Some(TriggerType::Cron) => view! { <CronFields i /> }.into_any(),
        Some(TriggerType::Webhook) => view! { <WebhookFields i /> }.into_any(),
        Some(TriggerType::Git) => view! { <GitFields i /> }.into_any(),
        Some(TriggerType::Pipeline) => view! { <PipelineFields i /> }.into_any(),
        Some(TriggerType::Jenkins) => view! { <JenkinsFields i /> }.into_any(),
        None => view! {
            <p class="hint">{format!("A {kind} trigger: Gennaker does not run this type; it is kept as it is.")}</p>
        }
        .into_any(),
    };
    let title = label.clone();
    view! {
        <div class="list-item trigger" role="group" aria-label=format!("{label} trigger {}", i + 1)>
            <h3 class="trigger-title">{format!("{label} trigger")}</h3>
            <CheckboxField id=format!("trigger-{i}-enabled") label="Enabled" checked=enabled />
            {fields}
            {TriggerType::parse(&kind).is_some().then(|| view! { <RunAsChoice i /> })}
            <button type="button" class="button small" on:click=remove aria-label=format!("Remove {title} trigger {}", i + 1)>"Remove"</button>
        </div>
    }
}

/// `(id, field path)` of a trigger's input.
fn place(draft: Draft, i: usize, key: &str) -> (String, String) {
    (
        format!("trigger-{i}-{key}"),
        draft.show(format!("triggers[{i}].{key}")),
    )
}

/// A choice among `names` loaded by the server, keeping a current value that is not among them.
fn choices(names: Vec<String>, current: String, none: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), none.to_string())];
    options.extend(names.into_iter().map(|n| (n.clone(), n)));
    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
        options.push((current.clone(), format!("{current} (not configured)")));
    }
    options
}

#[component]
fn DockerFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let registries = Resource::new(|| (), |_| list_docker_registries());
    let account = text(draft, i, "account");
    let repository = text(draft, i, "repository");
    let tag = text(draft, i, "tag");
    let (account_id, account_field) = place(draft, i, "account");
    let (repository_id, repository_field) = place(draft, i, "repository");
    let (tag_id, tag_field) = place(draft, i, "tag");
    let watched = Resource::new(
        move || (account.get.get(), repository.get.get()),
        |_| watched_repositories(),
    );
    let repositories_id = format!("trigger-{i}-repositories");
    let repositories = Resource::new(
        move || account.get.get(),
        |name| async move {
            if name.is_empty() {
                return Ok(Default::default());
            }
            settle(registry_repositories(name).await)
        },
    );
    let tags = Resource::new(
        move || (account.get.get(), repository.get.get().trim().to_string()),
        |(name, repository)| async move {
            if name.is_empty() || repository.is_empty() {
                return Ok(None);
            }
            settle(registry_tags(name, repository).await).map(Some)
        },
    );
    let matching = move || {
        tags.get().map(|found| match found {
            Ok(Some(list)) => tag_preview(&tag.get.get(), &list)
                .map(|text| {
                    view! { <p class="hint tag-matches" aria-live="polite">{text}</p> }.into_any()
                })
                .unwrap_or_else(|| ().into_any()),
            Ok(None) => ().into_any(),
            Err(error) => {
                view! { <p class="hint">{format!("The tags could not be read: {error}")}</p> }
                    .into_any()
            }
        })
    };
    let status = move || {
        let (a, r) = (account.get.get(), repository.get.get());
        watched.get().map(|list| {
            let found = list
                .unwrap_or_default()
                .into_iter()
                .find(|w| w.account == a && w.repository == r);
            match found {
                Some(w) => match w.error {
                    Some(error) => view! { <p class="hint status-text failed">{format!("Last look failed: {error}")}</p> }.into_any(),
                    None => view! {
                        <p class="hint trigger-watch">{format!("Watched: {} tag(s) seen, last looked at {}.", w.tags, w.checked_at.exact())}</p>
                    }.into_any(),
                },
                None => view! { <p class="hint">"Watched once the pipeline is saved: its tags now are recorded, and each new tag or new digest after that starts it."</p> }.into_any(),
            }
        })
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                let (id, field) = (account_id.clone(), account_field.clone());
                Suspend::new(async move {
                    let list = registries.await.unwrap_or_default();
                    let addresses: Vec<(String, String)> = list.iter().map(|r| (r.name.clone(), r.address.clone())).collect();
                    let names = list.into_iter().map(|r| r.name).collect();
                    let options = choices(names, account.get.get_untracked(), "Choose a registry account");
                    // Deck writes the registry's address beside the account.
                    let chosen = Binding::new(
                        move || account.get.get(),
                        move |name: String| {
                            let address = addresses.iter().find(|(n, _)| *n == name).map(|(_, a)| json!(a));
                            set_trigger_value(draft, i, "registry", address);
                            account.set.run(name);
                        },
                    );
                    view! { <SelectField id field value=chosen errors options=Signal::stored(options) label="Registry account" /> }
                })
            }}
        </Transition>
        <TextField id=repository_id label="Repository" field=repository_field value=repository errors required=true
            hint="Such as team/web; the registry's repositories are offered as you type." list=repositories_id.clone() />
        <datalist id=repositories_id>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = repositories.await.map(|l| l.repositories).unwrap_or_default();
                    list.into_iter().map(|r| { let label = r.clone(); view! { <option value=r>{label}</option> } }).collect_view()
                })}
            </Transition>
        </datalist>
        <TextField id=tag_id label="Tag" field=tag_field value=tag errors
            hint="A regular expression the whole tag must match, such as v\\d+\\.\\d+\\.\\d+. Empty: any tag but latest. A tag pushed again with a new digest starts it too." />
        <Transition fallback=|| ()>{matching}</Transition>
        <Transition fallback=|| ()>{status}</Transition>
    }
}

/// The most matching tags the preview names.
const TAGS_NAMED: usize = 6;

/// "Matches 2 of 5 tags now: v1.1.0, v1.0.0": the repository's tags the pattern starts on, by
/// the rule the server applies.
fn tag_preview(pattern: &str, tags: &[String]) -> Option<String> {
    // An invalid pattern: the field says what is wrong with it.
    let pattern = DockerTagPattern::new(pattern.trim()).ok()?;
    if tags.is_empty() {
        return Some(
            "The repository has no tags yet: its first push starts the pipeline if it matches."
                .into(),
        );
    }
    let hits: Vec<&str> = tags
        .iter()
        .filter(|t| pattern.matches(t))
        .map(String::as_str)
        .collect();
    let total = tags.len();
    Some(match hits.len() {
        0 => format!("Matches none of the repository's {total} tags now."),
        n => {
            let named = hits[..n.min(TAGS_NAMED)].join(", ");
            let more = if n > TAGS_NAMED { ", …" } else { "" };
            format!("Matches {n} of {total} tags now: {named}{more}")
        }
    })
}

#[component]
fn CronFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let expression = text(draft, i, "cronExpression");
    let zone = text(draft, i, "timeZone");
    let missed = text(draft, i, "missedRuns");
    let (expression_id, expression_field) = place(draft, i, "cronExpression");
    let (zone_id, zone_field) = place(draft, i, "timeZone");
    let (missed_id, missed_field) = place(draft, i, "missedRuns");
    let id = move || as_text(trigger_value(draft, i, "id").as_ref());
    let runs = Resource::new(
        move || (expression.get.get(), zone.get.get(), id()),
        |(expression, zone, id)| async move {
            let zone = if zone.trim().is_empty() {
                DEFAULT_TIME_ZONE.to_string()
            } else {
                zone
            };
            if expression.trim().is_empty() {
                return Ok(Vec::new());
            }
            settle(cron_runs(expression, zone, id).await)
        },
    );
    let missed_options = vec![
        (String::new(), "Skip them".to_string()),
        (
            "runOnce".to_string(),
            "Run once when the server is back".to_string(),
        ),
    ];
    view! {
        <div class="form-grid">
            <TextField id=expression_id label="CRON expression" field=expression_field value=expression errors required=true
                hint="5 fields (minute hour day month weekday, such as 30 3 * * 1-5) or Quartz's 6 or 7 (second first, such as 0 30 3 ? * MON-FRI)." />
            <TextField id=zone_id label="Time zone" field=zone_field value=zone errors hint="Such as Europe/Berlin; empty: UTC." />
        </div>
        <SelectField id=missed_id label="Runs missed while the server was down" field=missed_field value=missed errors options=Signal::stored(missed_options) />
        <Transition fallback=|| view! { <p class="hint">"Working out the next runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <div class="cron-runs">
                            <p class="hint">"Next runs:"</p>
                            <ol class="next-runs">
                                {list.into_iter().map(|r| view! { <li><time datetime=r.at.to_string()>{r.local}</time></li> }).collect_view()}
                            </ol>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <p class="hint status-text failed" role="status">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The secret a webhook must carry, from the server's `[[secrets]]`.
#[component]
fn SecretChoice(i: usize, #[prop(into)] none: String) -> impl IntoView {
    let names = Resource::new(|| (), |_| secret_names());
    view! {
        <ServerChoice i key="secretName" label="Secret" none names
            hint="Secrets are files or environment variables named in the server's configuration ([[secrets]]); their values are never shown here." />
    }
}

/// Who the trigger's executions run as: a service user from the server's configuration.
#[component]
fn RunAsChoice(i: usize) -> impl IntoView {
    let names = Resource::new(|| (), |_| service_user_names());
    view! {
        <ServerChoice i key="runAsUser" label="Run as" none="Nobody in particular (anonymous)" names
            hint="A service user ([[auth.service_users]]) whose roles the trigger's executions have; you may pick one whose roles you hold." />
    }
}

/// A trigger field chosen among names the server has.
#[component]
fn ServerChoice(
    i: usize,
    key: &'static str,
    label: &'static str,
    #[prop(into)] none: String,
    names: Resource<Result<Vec<String>, crate::error::AppError>>,
    hint: &'static str,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let value = text(draft, i, key);
    let (id, field) = place(draft, i, key);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let (id, field, none) = (id.clone(), field.clone(), none.clone());
                Suspend::new(async move {
                    let options = choices(names.await.unwrap_or_default(), value.get.get_untracked(), &none);
                    view! {
                        <SelectField id field value errors options=Signal::stored(options) label />
                        <p class="hint">{hint}</p>
                    }
                })
            }}
        </Transition>
    }
}

/// The path other systems call on this server.
fn hook_url(path: String) -> impl IntoView {
    view! { <p class="hint hook-url">"Called with " <code>{format!("POST {path}")}</code> " on this server's address."</p> }
}

#[component]
fn WebhookFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let source = text(draft, i, "source");
    let (source_id, source_field) = place(draft, i, "source");
    let (constraints_id, constraints_field) = place(draft, i, "payloadConstraints");
    let initial = trigger_value(draft, i, "payloadConstraints")
        .and_then(|v| v.as_object().cloned())
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", as_text(Some(v))))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let problem_field = constraints_field.clone();
    let constraints = typed(initial, move |text| {
        let mut map = Map::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    map.insert(k.trim().to_string(), json!(v.trim()));
                }
                _ => {
                    draft.local_problem(
                        &problem_field,
                        Some(format!(
                            "{line:?}: write field=regular expression, one per line."
                        )),
                    );
                    return;
                }
            }
        }
        draft.local_problem(&problem_field, None);
        set_trigger_value(
            draft,
            i,
            "payloadConstraints",
            (!map.is_empty()).then_some(Value::Object(map)),
        );
    });
    view! {
        <TextField id=source_id label="Source" field=source_field value=source errors required=true
            hint="The last part of the webhook's URL, such as my-ci." />
        {move || hook_url(format!("/webhooks/webhook/{}", source.get.get()))}
        <TextArea id=constraints_id label="Payload constraints" field=constraints_field value=constraints errors
            hint="field=regular expression, one per line: the payload's field must match it whole (a.b reads a nested field)." />
        <SecretChoice i none="None: any caller may start it" />
    }
}

#[component]
fn GitFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let source = text(draft, i, "source");
    let project = text(draft, i, "project");
    let slug = text(draft, i, "slug");
    let branch = text(draft, i, "branch");
    let (source_id, source_field) = place(draft, i, "source");
    let (project_id, project_field) = place(draft, i, "project");
    let (slug_id, slug_field) = place(draft, i, "slug");
    let (branch_id, branch_field) = place(draft, i, "branch");
    let hosts: Vec<(String, String)> = GitSource::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.label().to_string()))
        .collect();
    view! {
        <SelectField id=source_id label="Host" field=source_field value=source errors options=Signal::stored(hosts) />
        {move || hook_url(format!("/webhooks/git/{}", source.get.get()))}
        <div class="form-grid">
            <TextField id=project_id label="Organisation or group" field=project_field value=project errors required=true />
            <TextField id=slug_id label="Repository" field=slug_field value=slug errors required=true />
        </div>
        <TextField id=branch_id label="Branch" field=branch_field value=branch errors
            hint="A regular expression the whole branch must match, such as main|release-.*; empty: any branch." />
        <SecretChoice i none="Choose the webhook's secret" />
    }
}

#[component]
fn PipelineFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let application = text(draft, i, "application");
    let pipeline = text(draft, i, "pipeline");
    let (application_id, application_field) = place(draft, i, "application");
    let (pipeline_id, pipeline_field) = place(draft, i, "pipeline");
    let own = draft.config.with_untracked(|c| c.id.clone());
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
    let statuses = PIPELINE_STATUSES.map(|status| {
        let checked = in_list(draft, i, "status", status);
        view! { <CheckboxField id=format!("trigger-{i}-status-{status}") label=format!("When it ends {status}") checked /> }
    });
    view! {
        <TextField id=application_id label="Application" field=application_field value=application errors required=true />
        <Transition fallback=|| ()>
            {move || {
                let (id, field, own) = (pipeline_id.clone(), pipeline_field.clone(), own.clone());
                Suspend::new(async move {
                    let mut options = vec![(String::new(), "Choose a pipeline".to_string())];
                    options.extend(
                        pipelines.await.unwrap_or_default().into_iter()
                            .filter(|p| p.config.id != own)
                            .map(|p| (p.config.id, p.config.name)),
                    );
                    let current = pipeline.get.get_untracked();
                    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
                        options.push((current.clone(), current));
                    }
                    view! { <SelectField id field value=pipeline errors options=Signal::stored(options) label="Pipeline" /> }
                })
            }}
        </Transition>
        <div class="field-group checkbox-row">{statuses}</div>
        {move || draft.messages(&format!("triggers[{i}].status")).into_iter().map(|m| view! { <p class="field-error" role="alert">{m}</p> }).collect_view()}
    }
}

#[component]
fn JenkinsFields(i: usize) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let errors = draft.errors();
    let masters = Resource::new(|| (), |_| list_jenkins_masters());
    let master = text(draft, i, "master");
    let job = text(draft, i, "job");
    let property_file = text(draft, i, "propertyFile");
    let (master_id, master_field) = place(draft, i, "master");
    let (job_id, job_field) = place(draft, i, "job");
    let (file_id, file_field) = place(draft, i, "propertyFile");
    let results = JENKINS_RESULTS.map(|result| {
        let checked = in_list(draft, i, "buildResults", result);
        view! { <CheckboxField id=format!("trigger-{i}-result-{result}") label=format!("When a build ends {result}") checked /> }
    });
    view! {
        <Transition fallback=|| ()>
            {move || {
                let (id, field) = (master_id.clone(), master_field.clone());
                Suspend::new(async move {
                    let options = choices(masters.await.unwrap_or_default(), master.get.get_untracked(), "Choose a master");
                    view! { <SelectField id field value=master errors options=Signal::stored(options) label="Master" /> }
                })
            }}
        </Transition>
        <TextField id=job_id label="Job" field=job_field value=job errors required=true hint="A job in a folder as folder/job." />
        <div class="field-group checkbox-row">{results}</div>
        <TextField id=file_id label="Property file" field=file_field value=property_file errors
            hint="Optional: an archived file of the build whose values become trigger.properties." />
    }
}
