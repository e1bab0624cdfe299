//! "Create pipeline" (a name, then the editor) and "Import JSON" (pipelines exported from
//! Spinnaker, pasted: each keeps its id and every field, stage types Gennaker does not run
//! included, into this application; accounts this server does not have are mapped to
//! configured ones, and what cannot run yet is reported by path and kept).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::editor_href;
use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::fields::{Binding, SelectField, TextArea, TextField};
use crate::error::{AppError, settle};
use crate::pages::application::ApplicationContext;
use crate::pipelines::{create_pipeline, import_pipelines};
use gennaker_core::error::FieldError;
use gennaker_core::pipelines::import::ImportReport;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::StoredPipeline;

/// Creates `config`, giving its answer to `done` or its refusal to `errors`.
fn creating(
    errors: RwSignal<Option<AppError>>,
    done: impl Fn(StoredPipeline) + Send + Sync + 'static,
) -> Action<PipelineConfig, Result<StoredPipeline, AppError>> {
    let create = Action::new(|config: &PipelineConfig| {
        let config = config.clone();
        async move { settle(create_pipeline(config).await) }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(stored)) => done(stored),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    create
}

/// The dialog's buttons.
#[component]
fn Buttons(on_close: Callback<()>, label: &'static str, pending: Signal<bool>) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            <button type="submit" class="button primary" disabled=move || pending.get()>{label}</button>
        </div>
    }
}

#[component]
pub fn CreatePipelineDialog(on_close: Callback<()>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let name = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let navigate = use_navigate();
    let create = creating(errors, move |stored| {
        navigate(
            &editor_href(&stored.config.application, &stored.config.id),
            Default::default(),
        );
    });
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        errors.set(None);
        create.dispatch(PipelineConfig {
            application: context.name.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            ..PipelineConfig::default()
        });
    };
    view! {
        <Dialog id="create-pipeline-dialog" title="Create pipeline" on_close focus="pipeline-name">
            <form on:submit=submit novalidate=true>
                <TextField id="pipeline-name" label="Pipeline name" field="name" value=name errors=errors.into() required=true />
                <FormError errors known_fields=&["name"] />
                <Buttons on_close label="Create" pending=create.pending().into() />
            </form>
        </Dialog>
    }
}

/// Where an import dialog stands: the text to paste, then (when the pipelines name accounts
/// this server does not have) a choice for each, then the report.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Paste,
    MapAccounts(ImportReport),
    Done(ImportReport),
}

/// The dialog's import: a dry run first, to find accounts to map; then the import itself.
#[derive(Clone, Debug)]
struct Request {
    text: String,
    accounts: BTreeMap<String, String>,
    dry_run: bool,
}

#[component]
pub fn ImportDialog(on_close: Callback<()>, on_imported: Callback<String>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let text = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let step = RwSignal::new(Step::Paste);
    let mapping = RwSignal::new(BTreeMap::<String, String>::new());
    let import = Action::new(move |request: &Request| {
        let request = request.clone();
        let application = context.name.get_untracked();
        async move {
            let answer =
                import_pipelines(application, request.text, request.accounts, request.dry_run)
                    .await;
            (request.dry_run, settle(answer))
        }
    });
    Effect::new(move |_| match import.value().get() {
        Some((_, Err(error))) => errors.set(Some(error)),
        Some((true, Ok(report))) if !report.unknown_accounts.is_empty() => {
            // Each unknown account starts as the configured one of the same name, else the first.
            let first = report.known_accounts.first().cloned().unwrap_or_default();
            mapping.set(
                report
                    .unknown_accounts
                    .iter()
                    .map(|a| (a.clone(), first.clone()))
                    .collect(),
            );
            step.set(Step::MapAccounts(report));
        }
        Some((true, Ok(_))) => {
            import.dispatch(Request {
                text: text.get_untracked(),
                accounts: BTreeMap::new(),
                dry_run: false,
            });
        }
        Some((false, Ok(report))) => {
            let clean = report
                .pipelines
                .iter()
                .all(|p| p.stored && p.problems.is_empty() && p.changes.is_empty());
            if clean && report.pipelines.len() == 1 {
                on_imported.run(report.pipelines[0].name.clone());
            } else {
                step.set(Step::Done(report));
            }
        }
        None => {}
    });
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        errors.set(None);
        match step.get_untracked() {
            Step::Paste => {
                import.dispatch(Request {
                    text: text.get_untracked(),
                    accounts: BTreeMap::new(),
                    dry_run: true,
                });
            }
            Step::MapAccounts(_) => {
                import.dispatch(Request {
                    text: text.get_untracked(),
                    accounts: mapping.get_untracked(),
                    dry_run: false,
                });
            }
            Step::Done(report) => {
                let stored = report.pipelines.iter().filter(|p| p.stored).count();
                on_imported.run(match stored {
                    1 => report
                        .pipelines
                        .iter()
                        .find(|p| p.stored)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    n => format!("{n} pipelines"),
                });
            }
        }
    };
    let body = move || {
        match step.get() {
        Step::Paste => view! {
            <TextArea id="import-json" label="Pipeline JSON" field="json" value=text errors=errors.into() rows=14
                hint="A pipeline as Spinnaker exports it, Deck's \"Edit as JSON\" copy, or a whole pipelineConfigs array. Each joins this application and keeps its id and every field; what cannot run here yet is kept and marked." />
        }
        .into_any(),
        Step::MapAccounts(report) => view! { <AccountMap report mapping /> }.into_any(),
        Step::Done(report) => view! { <ImportResult report /> }.into_any(),
    }
    };
    let label = move || match step.get() {
        Step::Paste | Step::MapAccounts(_) => "Import",
        Step::Done(_) => "Done",
    };
    view! {
        <Dialog id="import-dialog" title="Import JSON" on_close focus="import-json" wide=true>
            <form on:submit=submit novalidate=true>
                {body}
                <FormError errors known_fields=&["json"] />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="import-submit" disabled=move || import.pending().get()>{label}</button>
                </div>
            </form>
        </Dialog>
    }
}

/// A choice of configured account for each account the pipelines name that this server does
/// not have.
#[component]
fn AccountMap(report: ImportReport, mapping: RwSignal<BTreeMap<String, String>>) -> impl IntoView {
    let options: Vec<(String, String)> = report
        .known_accounts
        .iter()
        .map(|a| (a.clone(), a.clone()))
        .chain([(String::new(), "Keep the name (fix it later)".to_string())])
        .collect();
    let no_errors = Signal::derive(|| None::<AppError>);
    view! {
        <p class="import-accounts-intro">"These accounts are not configured here. Choose the account each one is here:"</p>
        {report.unknown_accounts.iter().enumerate().map(|(i, account)| {
            let name = account.clone();
            let value = Binding::new(
                { let name = name.clone(); move || mapping.with(|m| m.get(&name).cloned().unwrap_or_default()) },
                move |to: String| mapping.update(|m| { m.insert(name.clone(), to); }),
            );
            view! {
                <SelectField id=format!("import-account-{i}") label=format!("Account {account}") field=format!("accounts.{account}")
                    value errors=no_errors options=Signal::derive({ let options = options.clone(); move || options.clone() }) />
            }
        }).collect_view()}
    }
}

/// What became of each pipeline: what the import changed, and what must be fixed before it
/// runs, by path.
#[component]
fn ImportResult(report: ImportReport) -> impl IntoView {
    view! {
        <ul class="import-report">
            {report.pipelines.into_iter().map(|p| {
                let title = if p.name.is_empty() { format!("Pipeline {}", p.index + 1) } else { p.name.clone() };
                let state = match (&p.refused, p.problems.is_empty()) {
                    (Some(_), _) => ("failed", "Not imported"),
                    (None, true) => ("succeeded", "Imported"),
                    (None, false) => ("failed-continue", "Imported, needs fixing before it runs"),
                };
                view! {
                    <li class="import-pipeline">
                        <p><strong>{title}</strong> " " <span class=format!("status-badge {}", state.0)>{state.1}</span></p>
                        {p.refused.map(|why| view! { <p class="form-error">{why}</p> })}
                        {(!p.changes.is_empty()).then(|| view! { <PathList title="Changed" items=p.changes.clone() /> })}
                        {(!p.problems.is_empty()).then(|| view! { <PathList title="To fix" items=p.problems.clone() /> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn PathList(title: &'static str, items: Vec<FieldError>) -> impl IntoView {
    view! {
        <p class="import-list-title">{title}</p>
        <ul class="path-list">
            {items.into_iter().map(|item| view! { <li><code>{item.field}</code> " " {item.message}</li> }).collect_view()}
        </ul>
    }
}
