//! Dialogs that start an operation: the submit action, the buttons, and the live progress
//! that replaces the form once the task runs.

use leptos::prelude::*;

use crate::components::access::{RefusalNote, WithAccess};
use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::task_progress::TaskProgress;
use crate::error::{AppError, settle};
use crate::live::Live;
use crate::tasks::submit_operation;
use gennaker_core::auth::permissions::Authorization;
use gennaker_core::ids::TaskId;
use gennaker_core::tasks::model::Operation;
use gennaker_core::tasks::view::TaskView;

/// A dialog's operation: the submit action, the refusal to show, and the started task's id.
#[derive(Clone, Copy)]
pub struct OperationState {
    pub submit: Action<Operation, Result<TaskView, AppError>>,
    pub errors: RwSignal<Option<AppError>>,
    pub started: Memo<Option<TaskId>>,
}

impl OperationState {
    /// The refusal to show: the form's own, or the server's.
    pub fn errors(&self) -> Signal<Option<AppError>> {
        self.errors.into()
    }

    /// A form's submit handler: `build` reads the inputs into an operation, which starts, or
    /// says why it cannot, which shows.
    pub fn on_submit(
        self,
        build: impl Fn() -> Result<Operation, AppError> + Clone + Send + Sync + 'static,
    ) -> impl Fn(leptos::web_sys::SubmitEvent) + Clone + Send + Sync + 'static {
        move |event| {
            event.prevent_default();
            match build() {
                Ok(operation) => {
                    self.errors.set(None);
                    self.submit.dispatch(operation);
                }
                Err(error) => self.errors.set(Some(error)),
            }
        }
    }
}

/// Starts the dialog's operation when asked and, once it is accepted, shows its live progress
/// instead of the form.
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
    #[prop(into)] submit_label: Signal<String>,
    pending: Signal<bool>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! {
        <WithAccess what=Authorization::Execute render={move |refusal: Option<String>| {
            let refused = refusal.is_some();
            view! {
                <RefusalNote reason=refusal />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class=if danger { "button danger" } else { "button primary" } disabled=move || refused || pending.get()>
                        {move || if pending.get() { "Starting…".to_string() } else { submit_label.get() }}
                    </button>
                </div>
            }
        }} />
    }
}

/// A dialog's form until its operation starts, then the task's live progress. `children` are
/// the inputs; under them come the refusal no input shows and the buttons.
#[component]
pub fn OperationForm<B>(
    state: OperationState,
    live: Live,
    on_close: Callback<()>,
    /// Reads the inputs into the operation on submit, or says what is wrong with them.
    operation: B,
    #[prop(into)] submit_label: Signal<String>,
    /// Fields whose errors show beside their input.
    known_fields: &'static [&'static str],
    /// The errors to show, when not the state's own.
    #[prop(optional)]
    errors: Option<Signal<Option<AppError>>>,
    children: ChildrenFn,
) -> impl IntoView
where
    B: Fn() -> Result<Operation, AppError> + Clone + Send + Sync + 'static,
{
    let on_submit = state.on_submit(operation);
    let errors = errors.unwrap_or_else(|| state.errors());
    view! {
        <OperationBody state live on_close>
            <form on:submit=on_submit.clone() novalidate=true>
                {children()}
                <FormError errors known_fields />
                <DialogButtons on_close submit_label pending=state.submit.pending().into() />
            </form>
        </OperationBody>
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

impl Confirm {
    /// "Delete the load balancer web? This cannot be undone."
    pub fn delete(kind: &str, name: &str, operation: Operation) -> Confirm {
        Confirm {
            title: format!("Delete {kind} {name}"),
            message: format!("Delete the {kind} {name}? This cannot be undone."),
            label: "Delete",
            danger: true,
            operation,
        }
    }
}

/// Asks before starting `confirm.operation`, then shows its progress.
#[component]
pub fn ConfirmDialog(confirm: Confirm, live: Live, on_close: Callback<()>) -> impl IntoView {
    let state = start_operation();
    let Confirm {
        title,
        message,
        label,
        danger,
        operation,
    } = confirm;
    let on_submit = state.on_submit(move || Ok(operation.clone()));
    let (errors, pending) = (state.errors(), state.submit.pending());
    view! {
        <Dialog id="confirm-dialog" title on_close focus="confirm-submit">
            <OperationBody state live on_close>
                <form on:submit=on_submit.clone() novalidate=true>
                    <p>{message.clone()}</p>
                    <FormError errors known_fields=&[] />
                    <WithAccess what=Authorization::Execute render={move |refusal: Option<String>| {
                        let refused = refusal.is_some();
                        view! {
                            <RefusalNote reason=refusal />
                            <div class="dialog-actions">
                                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                                <button type="submit" id="confirm-submit" class=if danger { "button danger" } else { "button primary" }
                                    disabled=move || refused || pending.get()>
                                    {label}
                                </button>
                            </div>
                        }
                    }} />
                </form>
            </OperationBody>
        </Dialog>
    }
}
