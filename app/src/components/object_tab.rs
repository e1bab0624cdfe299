//! A tab of one kind of object the application owns in its clusters (load balancers, security
//! groups): a Create button, the objects as cards that update live, and the dialog the button
//! or a card opens, either the object's edit dialog or the confirmation of its deletion.

use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::components::feedback::CardList;
use crate::components::operation::{Confirm, ConfirmDialog};
use crate::error::AppError;
use crate::live::Live;

/// What such a tab has open: the edit dialog with the spec it starts from, or a confirmation.
pub type Opened<S> = RwSignal<Option<Result<S, Confirm>>>;

#[component]
pub fn ObjectTab<T, S, NewSpec, Card, CardView, Edit, EditView>(
    /// The tab's accessible name, also its list's: "Load balancers".
    label: &'static str,
    /// The element id of the Create button.
    create_id: &'static str,
    /// The Create button's text.
    create_label: &'static str,
    items: Resource<Result<Vec<T>, AppError>>,
    loading: &'static str,
    empty_title: &'static str,
    empty_text: &'static str,
    /// The spec a new object starts from.
    new_spec: NewSpec,
    /// One object's card; its buttons set the tab's [`Opened`].
    card: Card,
    /// The create or edit dialog of a spec.
    edit: Edit,
    live: Live,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    S: Clone + Send + Sync + 'static,
    NewSpec: Fn() -> S + Send + Sync + 'static,
    Card: Fn(T, Opened<S>) -> CardView + Clone + Send + Sync + 'static,
    CardView: IntoView + 'static,
    Edit: Fn(S, Live, Callback<()>) -> EditView + Send + Sync + 'static,
    EditView: IntoView + 'static,
{
    let open: Opened<S> = RwSignal::new(None);
    view! {
        <section class="tab-panel" aria-label=label>
            <div class="tab-toolbar">
                <button type="button" id=create_id class="button primary" on:click=move |_| open.set(Some(Ok(new_spec())))>
                    {create_label}
                </button>
            </div>
            <CardList items label loading empty_title empty_text card=move |item| card(item, open) />
        </section>
        {move || open.get().map(|choice| {
            let close = Callback::new(move |()| open.set(None));
            match choice {
                Ok(spec) => edit(spec, live, close).into_any(),
                Err(confirm) => view! { <ConfirmDialog confirm live on_close=close /> }.into_any(),
            }
        })}
    }
}

/// A card's Edit button (opens the edit dialog at `spec`) and Delete button (asks `delete`).
#[component]
pub fn EditAndDelete<S>(spec: S, delete: Confirm, open: Opened<S>) -> impl IntoView
where
    S: Clone + Send + Sync + 'static,
{
    view! {
        <div class="form-actions">
            <button type="button" class="button small" on:click=move |_| open.set(Some(Ok(spec.clone())))>"Edit"</button>
            <button type="button" class="button small danger" on:click=move |_| open.set(Some(Err(delete.clone())))>"Delete"</button>
        </div>
    }
}
