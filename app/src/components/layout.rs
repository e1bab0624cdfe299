//! The frame around every page: header, primary navigation and the main landmark.

use leptos::prelude::*;
use leptos_router::components::A;

/// Header with the primary navigation, then the page. Below 720 px the navigation folds
/// behind a "Menu" button.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let (nav_open, set_nav_open) = signal(false);
    // Asked once per page load; the header and the pages that need it share the answer.
    provide_context(ViewerResource(OnceResource::new(
        crate::auth::current_viewer(),
    )));

    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <header class="topbar">
            <a class="brand" href="/applications" aria-label="Gennaker home">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Gennaker"</span>
            </a>
            <button
                type="button"
                class="nav-toggle"
                aria-controls="primary-nav"
                aria-expanded=move || nav_open.get().to_string()
                on:click=move |_| set_nav_open.update(|open| *open = !*open)
            >
                <span class="nav-toggle-bars" aria-hidden="true"></span>
                {move || if nav_open.get() { "Close" } else { "Menu" }}
            </button>
            <nav
                id="primary-nav"
                class="primary-nav"
                class:open=move || nav_open.get()
                aria-label="Primary"
                on:click=move |_| set_nav_open.set(false)
            >
                <A href="/applications">"Applications"</A>
                <A href="/infrastructure">"Infrastructure"</A>
                <A href="/tasks">"Tasks"</A>
                <A href="/audit">"Audit"</A>
                <ViewerStatus />
            </nav>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
    }
}

/// Who is using Gennaker, as the server said when the page loaded.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub OnceResource<Result<crate::auth::Viewer, crate::error::AppError>>);

/// Who is using Gennaker: the signed-in user with a "Sign out" button, or that it runs open
/// (nobody signs in), so nobody mistakes an open installation for a protected one. The button
/// is a plain form, so it works before the page's script has arrived.
#[component]
fn ViewerStatus() -> impl IntoView {
    use crate::auth::Viewer;

    let viewer = expect_context::<ViewerResource>().0;
    let show = move |viewer: Viewer| match viewer {
        Viewer::Open { address } => view! {
            <span
                class="viewer viewer-open"
                title=format!(
                    "No users are configured and Gennaker listens only on {address}: everyone \
                     who can reach it acts as \"anonymous\". Add a user with `gennaker user add` \
                     and restart to require sign-in."
                )
            >
                "Open access: no sign-in"
            </span>
        }
        .into_any(),
        Viewer::SignedIn(principal) => view! {
            <form class="viewer" method="post" action="/auth/logout">
                <a
                    class="viewer-name"
                    href="/tokens"
                    title=format!("Roles: {}. Your API tokens.", principal.roles.join(", "))
                >
                    {principal.name}
                </a>
                <button type="submit" class="viewer-sign-out">"Sign out"</button>
            </form>
        }
        .into_any(),
        Viewer::SignedOut { .. } => {
            view! { <a class="viewer" href="/login">"Sign in"</a> }.into_any()
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { viewer.await.ok().map(show) })}
        </Suspense>
    }
}

/// A page's title row, with room for actions on the right.
#[component]
pub fn PageHeader(
    /// The page's heading.
    #[prop(into)]
    title: String,
    /// One sentence saying what the page is for.
    #[prop(into, optional)]
    summary: Option<String>,
) -> impl IntoView {
    view! {
        <div class="page-header">
            <h1>{title}</h1>
            {summary.map(|text| view! { <p class="page-summary">{text}</p> })}
        </div>
    }
}
