//! The frame around every page: header, primary navigation and the main landmark.

use leptos::prelude::*;
use leptos_router::components::A;

/// Header with the primary navigation, then the page. Below 720 px the navigation folds
/// behind a "Menu" button.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let (nav_open, set_nav_open) = signal(false);

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
            </nav>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
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
