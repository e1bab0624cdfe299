//! Dialogs that start an operation: the submit action, the buttons, and the live progress
//! that replaces the form once the task runs.

use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::task_progress::TaskProgress;
use crate::error::{AppError, settle};
use crate::ids::TaskId;
use crate::live::Live;
use crate::tasks::model::{Operation, Task};
use crate::tasks::submit_operation;

/// Starts `operation` and, once it is accepted, shows its live progress instead of the form.
/// A dialog's operation: the submit action, the refusal to show, and the started task's id.
#[derive(Clone, Copy)]
pub struct OperationState {
    pub submit: Action<Operation, Result<Task, AppError>>,
    pub errors: RwSignal<Option<AppError>>,
    pub started: Memo<Option<TaskId>>,
}

pub fn start_operation() -> OperationState {
    let errors = RwSignal::new(None::<AppError>);
    let submit = Action::new(|operation: &Operation| {
        let operation = operation.clone();
        async move { settle(submit_operation(operation).await) }
    });
    let started = Memo::new(move |_| match submit.value().get() {
        Some(Ok(task)) => Some(task.id),
        _ => None,
    });
    Effect::new(move |_| {
        if let Some(Err(error)) = submit.value().get() {
            errors.set(Some(error));
        }
    });
    OperationState {
        submit,
        errors,
        started,
    }
}

/// The buttons under a form, or "Close" once the task runs.
#[component]
pub fn DialogButtons(
    on_close: Callback<()>,
    #[prop(into)] submit_label: String,
    pending: Signal<bool>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            <button type="submit" class=if danger { "button danger" } else { "button primary" } disabled=move || pending.get()>
                {move || if pending.get() { "Starting…".to_string() } else { submit_label.clone() }}
            </button>
        </div>
    }
}

/// What replaces a dialog's form once its task started.
#[component]
pub fn Progress(id: TaskId, live: Live, on_close: Callback<()>) -> impl IntoView {
    view! {
        <TaskProgress id live />
        <div class="dialog-actions">
            <button type="button" class="button primary" id="close-progress" on:click=move |_| on_close.run(())>"Close"</button>
        </div>
    }
}

/// A dialog's body: its form until the operation starts, then the task's live progress.
#[component]
pub fn OperationBody(
    state: OperationState,
    live: Live,
    on_close: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
    move || match state.started.get() {
        Some(id) => view! { <Progress id live on_close /> }.into_any(),
        None => children().into_any(),
    }
}

/// An operation that only needs a yes: what it does in words, and the operation.
#[derive(Clone)]
pub struct Confirm {
    pub title: String,
    pub message: String,
    /// The button's label: "Delete", "Disable", …
    pub label: &'static str,
    /// Red button: the operation cannot be undone.
    pub danger: bool,
    pub operation: Operation,
}

/// Asks before starting `confirm.operation`, then shows its progress.
#[component]
pub fn ConfirmDialog(confirm: Confirm, live: Live, on_close: Callback<()>) -> impl IntoView {
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let Confirm {
        title,
        message,
        label,
        danger,
        operation,
    } = confirm;
    let on_submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        errors.set(None);
        submit.dispatch(operation.clone());
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    view! {
        <Dialog id="confirm-dialog" title on_close focus="confirm-submit">
            <OperationBody state live on_close>
                <form on:submit=on_submit.clone() novalidate=true>
                    <p>{message.clone()}</p>
                    <FormError errors=errors_signal known_fields=&[] />
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                        <button type="submit" id="confirm-submit" class=if danger { "button danger" } else { "button primary" }
                            disabled=move || submit.pending().get()>
                            {label}
                        </button>
                    </div>
                </form>
            </OperationBody>
        </Dialog>
    }
}
