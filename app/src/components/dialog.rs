//! A modal dialog: a title, its content, closed by Escape or its Cancel button. Focus moves to
//! `focus` (an element id) when it opens.

use leptos::prelude::*;
use leptos::web_sys;

use crate::pages::applications::focus_element;

#[component]
pub fn Dialog(
    /// The element id of the title, also the dialog's accessible name.
    #[prop(into)]
    id: String,
    #[prop(into)] title: String,
    on_close: Callback<()>,
    /// The element to focus on opening.
    #[prop(into, optional)]
    focus: Option<String>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    Effect::new(move |_| {
        if let Some(target) = &focus {
            focus_element(target);
        }
    });
    let close_on_escape = move |event: web_sys::KeyboardEvent| {
        if event.key() == "Escape" {
            on_close.run(());
        }
    };
    view! {
        <div class="dialog-backdrop">
            <div
                id=id
                class="dialog"
                class:wide=wide
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                on:keydown=close_on_escape
            >
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// A dialog that asks before a destructive action. `confirm` runs the action.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    on_confirm: Callback<()>,
    on_close: Callback<()>,
) -> impl IntoView {
    let button_id = format!("{id}-confirm");
    view! {
        <Dialog id=id title on_close focus=button_id.clone()>
            <p>{message}</p>
            <div class="dialog-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" id=button_id class="button danger" on:click=move |_| on_confirm.run(())>
                    {confirm_label}
                </button>
            </div>
        </Dialog>
    }
}
