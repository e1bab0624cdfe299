//! Labelled inputs that show the server's (or the form's own) error for their field, shared
//! by every form.

use leptos::prelude::*;

use crate::error::AppError;

/// One labelled text input with its error message.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// The JSON field name errors are reported under.
    #[prop(into)]
    field: String,
    value: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    #[prop(into, optional)] kind: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    /// The name the input posts under, in a form that posts (an `ActionForm`).
    #[prop(into, optional)]
    name: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = Memo::new(move |_| errors.get().and_then(|e| e.field_message(&field)));
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        let has_hint = hint.is_some();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if message.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id.clone()>
                {label} {required.then(|| view! { <span class="required">" (required)"</span> })}
            </label>
            <input
                id=id
                name=name
                type=kind.unwrap_or_else(|| "text".into())
                // The server-rendered page shows the value too (`bind:` sets it after hydration).
                value=value.get_untracked()
                bind:value=value
                required=required
                readonly=readonly
                autocomplete=autocomplete.unwrap_or_else(|| "off".into())
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described_by
            />
            {hint.map(|text| view! { <p class="hint" id=hint_id>{text}</p> })}
            {move || {
                message
                    .get()
                    .map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })
            }}
        </div>
    }
}

/// A labelled multi-line input; `hint` says the format (one entry per line, say).
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] field: String,
    value: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] rows: Option<u32>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = Memo::new(move |_| errors.get().and_then(|e| e.field_message(&field)));
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = vec![hint_id.clone()];
            if message.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                rows=rows.unwrap_or(3)
                bind:value=value
                spellcheck="false"
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described_by
            ></textarea>
            <p class="hint" id=hint_id>{hint}</p>
            {move || message.get().map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })}
        </div>
    }
}

/// A labelled select of `options` (value, label).
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] field: String,
    value: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let message = Memo::new(move |_| errors.get().and_then(|e| e.field_message(&field)));
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select
                id=id
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().is_some().to_string()
            >
                {move || {
                    let current = value.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(v, l)| {
                            let selected = v == current;
                            view! { <option value=v selected=selected>{l}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {move || message.get().map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })}
        </div>
    }
}
