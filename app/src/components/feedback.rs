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
    // One title for every kind: errors reach the browser as text (a server-rendered page's
    // errors are serialized as their messages), so the kind cannot be told apart there.
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
    /// Fields starting with this are shown beside their input too (`parameters.`).
    #[prop(optional)]
    known_prefix: Option<&'static str>,
) -> impl IntoView {
    use crate::error::AppError;
    let known = move |field: &str| {
        known_fields.contains(&field) || known_prefix.is_some_and(|p| field.starts_with(p))
    };
    let message = move || {
        errors.get().and_then(|error| match &error {
            AppError::Invalid(list) => {
                let others: Vec<String> = list
                    .iter()
                    .filter(|f| !known(&f.field))
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

/// The cards of a resource's list: loading, an error, the empty state with `empty_text`, or
/// one `card` per item.
#[component]
pub fn CardList<T, F, V>(
    items: Resource<Result<Vec<T>, crate::error::AppError>>,
    label: &'static str,
    loading: &'static str,
    empty_title: &'static str,
    empty_text: &'static str,
    card: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <Loading label=loading /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || {
                    let card = card.clone();
                    Suspend::new(async move {
                        items.await.map(|list| {
                            if list.is_empty() {
                                return view! {
                                    <EmptyState title=empty_title><p>{empty_text}</p></EmptyState>
                                }.into_any();
                            }
                            view! {
                                <ul class="card-list" aria-label=label>
                                    {list.into_iter().map(card).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })
                }}
            </ErrorBoundary>
        </Transition>
    }
}
