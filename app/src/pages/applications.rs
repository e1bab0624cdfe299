//! The Applications list, the home page: search as you type, sort, and "Actions → Create
//! Application".

use leptos::prelude::*;
use leptos::web_sys;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::applications::model::{Application, ApplicationSort, ApplicationSpec, CloudProvider};
use crate::applications::{create_application, list_applications};
use crate::components::application_form::{ApplicationFields, ApplicationForm};
use crate::components::dialog::Dialog;
use crate::components::feedback::{EmptyState, ErrorPanel, FormError, Loading};
use crate::components::time::When;
use crate::error::{AppError, settle};

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new(ApplicationSort::Name.as_str().to_string());
    let creating = RwSignal::new(false);
    let menu_open = RwSignal::new(false);
    let applications = Resource::new(
        move || (query.get(), sort.get()),
        |(query, sort)| list_applications(query, ApplicationSort::parse(&sort).unwrap_or_default()),
    );

    view! {
        <Title text="Applications" />
        <div class="page-header with-actions">
            <div>
                <h1>"Applications"</h1>
                <p class="page-summary">
                    "An application groups the server groups, load balancers and pipelines of one service."
                </p>
            </div>
            <div class="menu">
                <button
                    type="button"
                    class="button"
                    aria-haspopup="true"
                    aria-expanded=move || menu_open.get().to_string()
                    aria-controls="applications-actions"
                    on:click=move |_| menu_open.update(|open| *open = !*open)
                >
                    "Actions ▾"
                </button>
                <div id="applications-actions" class="menu-items" hidden=move || !menu_open.get()>
                    <button
                        type="button"
                        class="menu-item"
                        on:click=move |_| {
                            menu_open.set(false);
                            creating.set(true);
                        }
                    >
                        "Create Application"
                    </button>
                </div>
            </div>
        </div>
        <div class="toolbar" role="search">
            <div class="field grow">
                <label for="application-search">"Search"</label>
                <input
                    id="application-search"
                    type="search"
                    placeholder="Name, owner or description"
                    bind:value=query
                />
            </div>
            <div class="field">
                <label for="application-sort">"Sort by"</label>
                <select id="application-sort" bind:value=sort>
                    <option value="name">"Name"</option>
                    <option value="created">"Newest"</option>
                    <option value="updated">"Recently updated"</option>
                </select>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading applications…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    applications
                        .await
                        .map(|list| view! { <ApplicationList applications=list query=query.get_untracked() /> })
                })}
            </ErrorBoundary>
        </Transition>
        <Show when=move || creating.get()>
            <CreateApplicationDialog on_close=Callback::new(move |()| creating.set(false)) />
        </Show>
    }
}

#[component]
fn ApplicationList(applications: Vec<Application>, query: String) -> impl IntoView {
    if applications.is_empty() {
        let view = if query.trim().is_empty() {
            view! {
                <EmptyState title="No applications yet">
                    <p>"Create one with Actions → Create Application: only a name and an owner email are needed."</p>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No matching applications">
                    <p>"No application's name, owner or description contains “" {query} "”."</p>
                </EmptyState>
            }
            .into_any()
        };
        return view;
    }
    view! {
        <ul class="application-list" aria-label="Applications">
            {applications
                .into_iter()
                .map(|app| {
                    let href = format!("/applications/{}", app.spec.name);
                    view! {
                        <li class="application-row">
                            <a class="application-name" href=href>
                                {app.spec.name.clone()}
                            </a>
                            <span class="application-owner">{app.spec.owner_email.clone()}</span>
                            <span class="application-description">{app.spec.description.clone()}</span>
                            <span class="application-updated">
                                "Updated " <When at=app.updated_at />
                            </span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn CreateApplicationDialog(on_close: Callback<()>) -> impl IntoView {
    let fields = ApplicationFields::new(&ApplicationSpec {
        cloud_providers: vec![CloudProvider::Kubernetes],
        ..ApplicationSpec::default()
    });
    let errors = RwSignal::new(None::<AppError>);
    let create = Action::new(|spec: &ApplicationSpec| {
        let spec = spec.clone();
        async move { settle(create_application(spec).await) }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(app)) => navigate(
            &format!("/applications/{}", app.spec.name),
            Default::default(),
        ),
        Some(Err(error)) => errors.set(Some(error)),
        None => {}
    });
    let submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        match fields.to_spec() {
            Ok(spec) => {
                errors.set(None);
                create.dispatch(spec);
            }
            Err(error) => errors.set(Some(error)),
        }
    };
    view! {
        <Dialog id="create-application" title="Create Application" on_close focus="create-name">
            <form on:submit=submit novalidate=true>
                <ApplicationForm fields errors id_prefix="create" compact=true />
                <FormError errors known_fields=&["name", "ownerEmail", "description", "repository", "instancePort"] />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
