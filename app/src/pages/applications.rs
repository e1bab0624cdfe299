//! The Applications list, the home page: search as you type, sort, and "Actions → Create
//! Application".
//!
//! It works from the server-rendered HTML alone, before the page's WASM has arrived on a slow
//! phone: the search and the sort are a GET form (`/applications?q=…&sort=…`), the list's
//! entries are links, the Actions menu is a `<details>`, and Create Application opens at
//! `/applications?create` as a form that posts to its server function.

use leptos::prelude::*;
use leptos::web_sys;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::applications::{CreateApplication, list_applications};
use crate::components::application_form::{ApplicationFields, ApplicationForm};
use crate::components::dialog::Dialog;
use crate::components::feedback::{EmptyState, ErrorPanel, FormError, Loading};
use crate::components::time::When;
use crate::error::settle;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, CloudProvider,
};

/// Where Create Application opens: the Applications list with the dialog open.
const CREATE_HREF: &str = "/applications?create";

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let address = use_query_map();
    // The address holds what a search form without WASM asked for; the browser starts from it
    // and then searches as the user types.
    let (query, sort) = address.with_untracked(|address| {
        let sort = address.get("sort").and_then(|s| ApplicationSort::parse(&s));
        (
            RwSignal::new(address.get("q").unwrap_or_default()),
            RwSignal::new(sort.unwrap_or_default().as_str().to_string()),
        )
    });
    let creating = Memo::new(move |_| address.read().get("create").is_some());
    let menu = NodeRef::<leptos::html::Details>::new();
    let applications = Resource::new(
        move || (query.get(), sort.get()),
        |(query, sort)| list_applications(query, ApplicationSort::parse(&sort).unwrap_or_default()),
    );
    // Once interactive, the list follows the typing; submitting has nothing left to do.
    let searched = |event: web_sys::SubmitEvent| event.prevent_default();

    view! {
        <Title text="Applications" />
        <div class="page-header with-actions">
            <div>
                <h1>"Applications"</h1>
                <p class="page-summary">
                    "An application groups the server groups, load balancers and pipelines of one service."
                </p>
            </div>
            <details class="menu" node_ref=menu>
                <summary class="button">"Actions ▾"</summary>
                <div class="menu-items">
                    <a
                        class="menu-item"
                        href=CREATE_HREF
                        on:click=move |_| {
                            if let Some(menu) = menu.get() {
                                menu.set_open(false);
                            }
                        }
                    >
                        "Create Application"
                    </a>
                </div>
            </details>
        </div>
        <form class="toolbar" role="search" method="get" action="/applications" on:submit=searched>
            <div class="field grow">
                <label for="application-search">"Search"</label>
                <input
                    id="application-search"
                    name="q"
                    type="search"
                    placeholder="Name, owner or description"
                    value=query.get_untracked()
                    bind:value=query
                />
            </div>
            <div class="field">
                <label for="application-sort">"Sort by"</label>
                <select id="application-sort" name="sort" bind:value=sort>
                    {[
                        (ApplicationSort::Name, "Name"),
                        (ApplicationSort::Created, "Newest"),
                        (ApplicationSort::Updated, "Recently updated"),
                    ]
                        .into_iter()
                        .map(|(order, label)| {
                            let selected = sort.get_untracked() == order.as_str();
                            view! { <option value=order.as_str() selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Search"</button>
        </form>
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
            <CreateApplicationDialog />
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

/// Create Application: an `ActionForm`, so it posts without WASM too, and the server function
/// sends the user on to the new application (see `crate::services::answer_form`).
#[component]
fn CreateApplicationDialog() -> impl IntoView {
    let fields = ApplicationFields::new(&ApplicationSpec {
        cloud_providers: vec![CloudProvider::Kubernetes],
        ..ApplicationSpec::default()
    });
    let create = ServerAction::<CreateApplication>::new();
    let errors =
        Signal::derive(move || create.value().get().and_then(|answer| settle(answer).err()));
    let navigate = use_navigate();
    let close = Callback::new(move |()| navigate("/applications", Default::default()));
    view! {
        <Dialog id="create-application" title="Create Application" on_close=close focus="create-name">
            <ActionForm action=create attr:novalidate=true>
                <ApplicationForm fields errors id_prefix="create" compact=true />
                <FormError errors known_fields=&["name", "ownerEmail", "description", "repository", "instancePort"] />
                <div class="dialog-actions">
                    <a class="button" href="/applications">"Cancel"</a>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            </ActionForm>
        </Dialog>
    }
}
