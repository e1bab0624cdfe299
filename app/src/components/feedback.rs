//! Loading, empty and error states, shared so every page shows them the same way.

use leptos::prelude::*;

/// Shown while data is on its way.
#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

/// Shown when a list has nothing in it yet, with a hint of what to do.
#[component]
pub fn EmptyState(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <section class="empty-state">
            <h2>{title}</h2>
            {children()}
        </section>
    }
}

/// Renders the errors an `ErrorBoundary` caught, each with its own message.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <h2>"Something went wrong"</h2>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

/// The part of a refused form that no field shows: a conflict, an unreachable server, or a
/// problem with a field not in `known_fields`.
#[component]
pub fn FormError(
    #[prop(into)] errors: Signal<Option<crate::error::AppError>>,
    /// Fields whose errors the form shows beside the input.
    known_fields: &'static [&'static str],
) -> impl IntoView {
    use crate::error::AppError;
    let message = move || {
        errors.get().and_then(|error| match &error {
            AppError::Invalid(list) => {
                let others: Vec<String> = list
                    .iter()
                    .filter(|f| !known_fields.contains(&f.field.as_str()))
                    .map(|f| f.message.clone())
                    .collect();
                (!others.is_empty()).then(|| others.join(" "))
            }
            other => Some(other.to_string()),
        })
    };
    view! { {move || message().map(|text| view! { <p class="form-error" role="alert">{text}</p> })} }
}

/// A notice that something worked, announced to screen readers.
#[component]
pub fn Notice(#[prop(into)] text: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="notice" role="status" aria-live="polite">
            {move || text.get()}
        </p>
    }
}
