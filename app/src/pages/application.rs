//! One application: its header, the tabs of Spinnaker's Deck (Pipelines, Clusters, Tasks,
//! Load Balancers, Security Groups, Config), and the Config tab.

use leptos::prelude::*;
use leptos::web_sys;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::{use_location, use_navigate, use_params_map};

use crate::applications::{
    application_history, delete_application, get_application, restore_application,
    update_application,
};
use crate::components::access::{AccessResource, RefusalNote, WithAccess};
use crate::components::application_form::{ApplicationFields, ApplicationForm};
use crate::components::feedback::{ErrorPanel, FormError, Loading, Notice};
use crate::components::history::{Comparison, DiffRow, SavedVersion, VersionHistory};
use crate::components::stale_notice::StaleNotice;
use crate::components::time::When;
use crate::error::{AppError, settle};
use gennaker_core::applications::model::{Application, ApplicationSpec, ApplicationVersion};
use gennaker_core::auth::permissions::Authorization;

/// What the tabs share: the application's name, the loaded application, and a counter that
/// reloads it (and its history) when bumped.
#[derive(Clone, Copy)]
pub struct ApplicationContext {
    pub name: Memo<String>,
    pub application: Resource<Result<Application, AppError>>,
    pub reload: RwSignal<u32>,
    /// Changes the server reports about this application.
    pub live: crate::live::Live,
}

impl ApplicationContext {
    fn reload(&self) {
        self.reload.update(|n| *n += 1);
    }
}

/// Whether the tab `segment` of application `name` is the page at `path`: its own pages, and for
/// Pipelines an execution's pages too (they are reached from it).
fn tab_is_current(segment: &str, name: &str, path: &str) -> bool {
    let under = |segment: &str| {
        path.strip_prefix("/applications/")
            .and_then(|rest| rest.strip_prefix(name))
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| rest == segment || rest.starts_with(&format!("{segment}/")))
    };
    under(segment) || (segment == "pipelines" && under("executions"))
}

/// The tabs, in Deck's order: (path segment, label).
const TABS: [(&str, &str); 6] = [
    ("pipelines", "Pipelines"),
    ("clusters", "Clusters"),
    ("tasks", "Tasks"),
    ("load-balancers", "Load Balancers"),
    ("security-groups", "Security Groups"),
    ("config", "Config"),
];

lazy_page!(
    /// An application's page: its header and tabs, loaded on the first visit.
    ApplicationRoute => ApplicationPage
);
lazy_page!(
    /// The Config tab.
    ConfigRoute => ConfigTab
);

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let location = use_location();
    let reload = RwSignal::new(0u32);
    let application = Resource::new(
        move || (name.get(), reload.get()),
        |(name, _)| async move { settle(get_application(name).await) },
    );
    let live = crate::live::use_live(Some(name.get_untracked()));
    // Read once per application: refetched with every save, it would re-render the saving
    // form's buttons while the form itself is replaced.
    let access = Resource::new(
        move || name.get(),
        |name| async move {
            crate::auth::application_access(name)
                .await
                .unwrap_or_default()
        },
    );
    provide_context(ApplicationContext {
        name,
        application,
        reload,
        live,
    });
    // What the signed-in user may do with it (everything while unknown: the server decides).
    provide_context(AccessResource(access));

    view! {
            <Title text=move || name.get() />
            <div class="page-header">
                <p class="breadcrumb">
                    <a href="/applications">"Applications"</a>
                    " / "
                </p>
                <h1>{move || name.get()}</h1>
                <Transition fallback=|| view! { <Loading label="Loading the application…" /> }>
                    <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        application
                            .await
                            .map(|app| {
                                view! {
                                    <p class="page-summary">
                                        "Owner " <a href=format!("mailto:{}", app.spec.owner_email)>{app.spec.owner_email.clone()}</a>
                                        {(!app.spec.description.is_empty()).then(|| format!(" · {}", app.spec.description))}
                                    </p>
                                }
                            })
                    })}
                    </ErrorBoundary>
                </Transition>
            </div>
            <nav class="tabs" aria-label="Application">
                {TABS
                    .into_iter()
                    .map(|(segment, label)| {
                        let current = move || {
                            tab_is_current(segment, &name.get(), &location.pathname.get())
                                .then_some("page")
                        };
                        view! { <a href=move || format!("/applications/{}/{segment}", name.get()) aria-current=current>{label}</a> }
                    })
                    .collect_view()}
            </nav>
            <StaleNotice live />
    <Outlet />
        }
}

/// `/applications/:name` opens the Clusters tab, as Deck does.
#[component]
pub fn DefaultTab() -> impl IntoView {
    let params = use_params_map();
    let name = params.read_untracked().get("name").unwrap_or_default();
    view! { <Redirect path=format!("/applications/{name}/clusters") /> }
}

#[component]
pub fn ConfigTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    // Outlives the editor, which is rebuilt when the saved application is reloaded.
    let saved = RwSignal::new(None::<String>);
    let history = Resource::new(
        move || (context.name.get(), context.reload.get()),
        |(name, _)| async move { settle(application_history(name).await) },
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the configuration…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    let app = context.application.await?;
                    let versions = history.await?;
                    Ok::<_, AppError>(view! {
                        <section class="tab-panel config" aria-label="Configuration">
                            <AttributesEditor app=app.clone() saved />
                            <HistoryPanel current=app.clone() versions />
                            <DeletePanel app />
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// Edits the attributes of `app`; a save carries the version it was based on. `saved` holds the
/// confirmation of the last save, kept by the caller so it survives the reload that follows it.
#[component]
fn AttributesEditor(app: Application, saved: RwSignal<Option<String>>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let fields = ApplicationFields::new(&app.spec);
    let errors = RwSignal::new(None::<AppError>);
    let base_version = app.version;
    let save = Action::new(move |spec: &ApplicationSpec| {
        let spec = spec.clone();
        let name = spec.name.clone();
        async move { settle(update_application(name, base_version, spec).await) }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(app)) => {
            saved.set(Some(format!("Saved as version {}.", app.version)));
            context.reload();
        }
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        saved.set(None);
        match fields.to_spec() {
            Ok(spec) => {
                errors.set(None);
                save.dispatch(spec);
            }
            Err(error) => errors.set(Some(error)),
        }
    };
    let conflicted = move || matches!(errors.get(), Some(AppError::Conflict(_)));

    view! {
        <section class="card" aria-labelledby="attributes-title">
            <h2 id="attributes-title">"Attributes"</h2>
            <p class="hint">"Version " {app.version} ", last changed " <When at=app.updated_at /> " by " {app.updated_by.clone()} "."</p>
            <form on:submit=submit novalidate=true>
                <ApplicationForm fields errors id_prefix="config" name_locked=true />
                <FormError errors known_fields=&["name", "ownerEmail", "description", "repository", "instancePort", "permissions.READ", "permissions.WRITE", "permissions.EXECUTE"] />
                <div class="form-actions">
                    <Show when=conflicted>
                        <button type="button" class="button" on:click=move |_| context.reload()>
                            "Load the latest version"
                        </button>
                    </Show>
                    <WithAccess what=Authorization::Write render={move |refusal: Option<String>| {
                        let refused = refusal.is_some();
                        view! {
                            <button type="submit" class="button primary" disabled=move || refused || save.pending().get()>
                                {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                            </button>
                            <RefusalNote reason=refusal />
                        }
                    }} />
                </div>
                <Notice text=saved />
            </form>
        </section>
    }
}

/// One attribute of an application as text.
type SpecText = fn(&ApplicationSpec) -> String;

/// The fields of two versions side by side.
fn diff_rows(a: &ApplicationSpec, b: &ApplicationSpec) -> Vec<DiffRow> {
    let repository = |s: &ApplicationSpec| {
        s.repository
            .as_ref()
            .map(|r| format!("{} {}/{}", r.kind.as_str(), r.project, r.name))
            .unwrap_or_default()
    };
    let providers = |s: &ApplicationSpec| {
        if s.cloud_providers.is_empty() {
            String::new()
        } else {
            "kubernetes".to_string()
        }
    };
    let port = |s: &ApplicationSpec| s.instance_port.map(|p| p.to_string()).unwrap_or_default();
    let fields: [(&str, SpecText); 8] = [
        ("Owner email", |s| s.owner_email.clone()),
        ("Description", |s| s.description.clone()),
        ("Repository", repository),
        ("Cloud providers", providers),
        ("Instance port", port),
        ("Read", |s| s.permissions.read.join(", ")),
        ("Write", |s| s.permissions.write.join(", ")),
        ("Execute", |s| s.permissions.execute.join(", ")),
    ];
    fields
        .into_iter()
        .map(|(field, value)| (field.to_string(), value(a), value(b)))
        .collect()
}

/// Every saved version, a comparison of two, and restoring one.
#[component]
fn HistoryPanel(current: Application, versions: Vec<ApplicationVersion>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let current_version = current.version;
    let errors = RwSignal::new(None::<AppError>);
    let restore = Action::new(move |version: &u64| {
        let version = *version;
        let name = context.name.get_untracked();
        async move { settle(restore_application(name, version, current_version).await) }
    });
    Effect::new(move |_| match restore.value().get() {
        Some(Ok(_)) => context.reload(),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let versions = versions
        .into_iter()
        .map(|v| SavedVersion {
            version: v.version,
            updated_at: v.updated_at,
            updated_by: v.updated_by,
            deleted: v.deleted,
            content: v.spec,
        })
        .collect();
    let comparison = Comparison {
        column: "Owner email",
        summary: |spec: &ApplicationSpec| spec.owner_email.clone(),
        rows: diff_rows,
    };

    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <VersionHistory versions current_version comparison restore />
            <FormError errors known_fields=&[] />
        </section>
    }
}

/// Deleting asks the user to type the application's name.
#[component]
fn DeletePanel(app: Application) -> impl IntoView {
    let name = app.spec.name.clone();
    let typed = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let version = app.version;
    let remove = {
        let name = name.clone();
        Action::new(move |confirm: &String| {
            let confirm = confirm.clone();
            let name = name.clone();
            async move { settle(delete_application(name, version, confirm).await) }
        })
    };
    let navigate = use_navigate();
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => navigate("/applications", Default::default()),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let matches = {
        let name = name.clone();
        move || typed.get() == name
    };
    let submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        remove.dispatch(typed.get_untracked());
    };
    view! {
        <section class="card danger" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete application"</h2>
            <p>
                "Deleting removes " <strong>{name.clone()}</strong>
                " from the list. Its history is kept. Type its name to confirm."
            </p>
            <form on:submit=submit class="inline-form">
                <div class="field grow">
                    <label for="delete-confirm">"Application name"</label>
                    <input id="delete-confirm" type="text" autocomplete="off" bind:value=typed />
                </div>
                <WithAccess what=Authorization::Write render={move |refusal: Option<String>| {
                    let refused = refusal.is_some();
                    let matches = matches.clone();
                    view! {
                        <button type="submit" class="button danger" disabled=move || refused || !matches() || remove.pending().get()>
                            "Delete application"
                        </button>
                        <RefusalNote reason=refusal />
                    }
                }} />
            </form>
            <FormError errors known_fields=&[] />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::tab_is_current;

    #[test]
    fn a_tab_is_current_on_its_pages_and_pipelines_on_an_executions() {
        assert!(tab_is_current(
            "clusters",
            "web",
            "/applications/web/clusters"
        ));
        assert!(tab_is_current(
            "pipelines",
            "web",
            "/applications/web/pipelines/p1/edit"
        ));
        assert!(tab_is_current(
            "pipelines",
            "web",
            "/applications/web/executions/e1"
        ));
        assert!(!tab_is_current(
            "tasks",
            "web",
            "/applications/web/executions/e1"
        ));
        assert!(!tab_is_current(
            "config",
            "web",
            "/applications/web/configuration"
        ));
        assert!(!tab_is_current(
            "clusters",
            "web",
            "/applications/webshop/clusters"
        ));
    }
}
