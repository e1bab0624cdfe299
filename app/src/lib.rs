//! Gennaker's web UI: the Leptos components, the types they share with the server, and the
//! typed server functions the UI calls. Rendered on the server (feature `ssr`) and hydrated in
//! the browser (feature `hydrate`). Server-only code reaches the backend through [`services`].

#![recursion_limit = "256"]

pub use gennaker_core::{accounts, expressions, ids, registries, time};

pub mod applications;
pub mod audit;
pub mod auth;
pub mod components;
pub mod error;
pub mod infrastructure;
pub mod live;
pub mod pages;
pub mod pipelines;
#[cfg(feature = "ssr")]
pub mod services;
pub mod tasks;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::components::layout::AppShell;
use crate::components::time::provide_clock;
use crate::pages::audit::AuditRoute;
use crate::pages::{
    application::{ApplicationRoute, ConfigRoute, DefaultTab},
    applications::ApplicationsPage,
    clusters::ClustersRoute,
    infrastructure::InfrastructureRoute,
    load_balancers::LoadBalancersRoute,
    login::LoginRoute,
    not_found::NotFound,
    pipelines::{
        editor::PipelineEditorRoute, execution::ExecutionRoute, judgment::JudgmentRoute,
        tab::PipelinesTabRoute,
    },
    security_groups::SecurityGroupsRoute,
    tasks::{TasksRoute, TasksTabRoute},
    tokens::TokensRoute,
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
                <HashedStylesheet options=options.clone() id="leptos" />
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

/// The application: every route of the UI is declared here, in one place. The Applications list
/// is in the first download; every other page is loaded on its first visit (`Lazy`, see
/// [`pages`]). Pages stream in order (`SsrMode::InOrder`): the `<head>` with its preloads goes
/// out at once and the rest as its data arrives, complete without JavaScript, so a page is
/// useful before its WASM arrives.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_clock();

    view! {
        <Title formatter=|page: String| format!("{page} · Gennaker") />
        <Router>
            <AppShell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/applications" /> } />
                    <Route path=path!("/applications") view=ApplicationsPage ssr=SsrMode::InOrder />
                    // Rendered in order, so that the decision works from the server's HTML before
                    // (or without) the script: an approver on a phone decides from it. Its own
                    // chunk, without the application's page around it.
                    <Route path=path!("/applications/:name/executions/:id/judgment") view={Lazy::<JudgmentRoute>::new()} ssr=SsrMode::InOrder />
                    <ParentRoute path=path!("/applications/:name") view={Lazy::<ApplicationRoute>::new()} ssr=SsrMode::InOrder>
                        <Route path=path!("") view=DefaultTab />
                        <Route path=path!("config") view={Lazy::<ConfigRoute>::new()} />
                        <Route path=path!("pipelines") view={Lazy::<PipelinesTabRoute>::new()} />
                        <Route path=path!("pipelines/:id/edit") view={Lazy::<PipelineEditorRoute>::new()} />
                        <Route path=path!("executions/:id") view={Lazy::<ExecutionRoute>::new()} />
                        <Route path=path!("clusters") view={Lazy::<ClustersRoute>::new()} />
                        <Route path=path!("tasks") view={Lazy::<TasksTabRoute>::new()} />
                        <Route path=path!("load-balancers") view={Lazy::<LoadBalancersRoute>::new()} />
                        <Route path=path!("security-groups") view={Lazy::<SecurityGroupsRoute>::new()} />
                    </ParentRoute>
                    <Route path=path!("/infrastructure") view={Lazy::<InfrastructureRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/tasks") view={Lazy::<TasksRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/tokens") view={Lazy::<TokensRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::InOrder />
                </Routes>
            </AppShell>
        </Router>
    }
}
