//! Gennaker's web UI: the Leptos components, the types they share with the server, and the
//! typed server functions the UI calls. Rendered on the server (feature `ssr`) and hydrated in
//! the browser (feature `hydrate`). Server-only code reaches the backend through [`services`].

#![recursion_limit = "256"]

pub mod accounts;
pub mod applications;
pub mod components;
pub mod error;
pub mod expressions;
pub mod ids;
pub mod infrastructure;
pub mod live;
pub mod pages;
pub mod pipelines;
pub mod registries;
#[cfg(feature = "ssr")]
pub mod services;
pub mod tasks;
pub mod time;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::components::layout::AppShell;
use crate::components::time::provide_clock;
use crate::pages::{
    application::{ApplicationPage, ConfigTab, DefaultTab, UpcomingTab},
    applications::ApplicationsPage,
    clusters::ClustersTab,
    infrastructure::InfrastructurePage,
    load_balancers::LoadBalancersTab,
    not_found::NotFound,
    security_groups::SecurityGroupsTab,
    tasks::{TasksPage, TasksTab},
};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: every route of the UI is declared here, in one place.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_clock();

    view! {
        <Stylesheet id="leptos" href="/pkg/gennaker.css" />
        <Title formatter=|page: String| format!("{page} · Gennaker") />
        <Router>
            <AppShell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/applications" /> } />
                    <Route path=path!("/applications") view=ApplicationsPage />
                    <ParentRoute path=path!("/applications/:name") view=ApplicationPage>
                        <Route path=path!("") view=DefaultTab />
                        <Route path=path!("config") view=ConfigTab />
                        <Route
                            path=path!("pipelines")
                            view=|| view! { <UpcomingTab title="Pipelines" description="Pipelines, their triggers and executions will be configured and watched here once the pipeline engine lands." /> }
                        />
                        <Route path=path!("clusters") view=ClustersTab />
                        <Route path=path!("tasks") view=TasksTab />
                        <Route path=path!("load-balancers") view=LoadBalancersTab />
                        <Route path=path!("security-groups") view=SecurityGroupsTab />
                    </ParentRoute>
                    <Route path=path!("/infrastructure") view=InfrastructurePage />
                    <Route path=path!("/tasks") view=TasksPage />
                </Routes>
            </AppShell>
        </Router>
    }
}
