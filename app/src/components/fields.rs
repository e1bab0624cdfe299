//! Labelled inputs that show the server's (or the form's own) error for their field, shared
//! by every form. An input reads and writes through a [`Binding`]: a form's own signal, or a
//! place inside a larger value (the pipeline editor edits one configuration in place).

use leptos::prelude::*;

use crate::error::AppError;

/// What an input shows, and where what the user enters goes.
pub struct Binding<T: Send + Sync + 'static = String> {
    pub get: Signal<T>,
    pub set: Callback<T>,
}

impl<T: Send + Sync + 'static> Clone for Binding<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Binding<T> {}

impl<T: Send + Sync + 'static> Binding<T> {
    pub fn new(
        get: impl Fn() -> T + Send + Sync + 'static,
        set: impl Fn(T) + Send + Sync + 'static,
    ) -> Binding<T> {
        Binding {
            get: Signal::derive(get),
            set: Callback::new(set),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> From<RwSignal<T>> for Binding<T> {
    fn from(signal: RwSignal<T>) -> Binding<T> {
        Binding {
            get: signal.into(),
            set: Callback::new(move |value| signal.set(value)),
        }
    }
}

/// One labelled text input with its error message.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// The JSON field name errors are reported under.
    #[prop(into)]
    field: String,
    #[prop(into)] value: Binding,
    errors: Signal<Option<AppError>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    #[prop(into, optional)] kind: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    /// The name the input posts under, in a form that posts (an `ActionForm`).
    #[prop(into, optional)]
    name: Option<String>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(into, optional)]
    list: Option<String>,
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
                list=list
                type=kind.unwrap_or_else(|| "text".into())
                // The server-rendered page shows the value too (`prop:` sets it after hydration).
                value=value.get.get_untracked()
                prop:value=move || value.get.get()
                on:input=move |ev| value.set.run(event_target_value(&ev))
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
    #[prop(into)] value: Binding,
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
                prop:value=move || value.get.get()
                on:input=move |ev| value.set.run(event_target_value(&ev))
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
    #[prop(into)] value: Binding,
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
                prop:value=move || value.get.get()
                on:change=move |ev| value.set.run(event_target_value(&ev))
                aria-invalid=move || message.get().is_some().to_string()
            >
                {move || {
                    let current = value.get.get();
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

/// A labelled checkbox.
#[component]
pub fn CheckboxField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] checked: Binding<bool>,
    #[prop(into, optional)] hint: Option<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described_by = hint.is_some().then(|| hint_id.clone());
    view! {
        <div class="field checkbox">
            <input
                id=id.clone()
                type="checkbox"
                prop:checked=move || checked.get.get()
                on:change=move |ev| checked.set.run(event_target_checked(&ev))
                aria-describedby=described_by
            />
            <label for=id>{label}</label>
            {hint.map(|text| view! { <p class="hint" id=hint_id>{text}</p> })}
        </div>
    }
}
