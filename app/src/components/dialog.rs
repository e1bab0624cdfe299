//! A modal dialog: a title, its content, closed by Escape or its Cancel button. Focus moves to
//! `focus` (an element id) when it opens, and Tab / Shift+Tab stay inside the dialog.

use leptos::prelude::*;
use leptos::web_sys;

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
    let on_keydown = move |event: web_sys::KeyboardEvent| match event.key().as_str() {
        "Escape" => on_close.run(()),
        "Tab" => keep_focus_inside(&event),
        _ => {}
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
                on:keydown=on_keydown
            >
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// Moves focus from the dialog's last focusable element to its first on Tab, and from the first
/// to the last on Shift+Tab, so keyboard focus never leaves a modal dialog.
#[cfg(feature = "hydrate")]
fn keep_focus_inside(event: &web_sys::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
        select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
    let Some(dialog) = event
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let elements: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|element| element.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
        return;
    };
    let active = document().active_element();
    let at = |element: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == element.unchecked_ref::<web_sys::Element>())
    };
    if event.shift_key() && at(first) {
        event.prevent_default();
        let _ = last.focus();
    } else if !event.shift_key() && at(last) {
        event.prevent_default();
        let _ = first.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn keep_focus_inside(_: &web_sys::KeyboardEvent) {}

/// Moves keyboard focus to the element with `id`, if it exists.
fn focus_element(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = document().get_element_by_id(id)
        && let Ok(element) = element.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = element.focus();
    }
}
