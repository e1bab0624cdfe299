//! What can be done to a run: pause and resume it, cancel it (with an optional reason), and
//! restart a finished stage (after a confirmation: it runs again with every stage after it).
//! The page follows the result live, so an action only has to report a refusal.

use crate::components::access::{RefusalNote, WithAccess};
use gennaker_core::auth::permissions::Authorization;
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::feedback::FormError;
use crate::components::fields::TextField;
use crate::error::{AppError, settle};
use crate::pipelines::{
    cancel_execution, pause_execution, restart_stage, resume_execution, skip_window,
};
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, StageExecution};

/// A change asked of an execution.
#[derive(Clone)]
enum Change {
    Pause,
    Resume,
    Cancel(Option<String>),
    Restart(String),
    SkipWindow(String),
}

/// The action that applies a change to execution `id`.
fn changes(id: ExecutionId) -> Action<Change, Result<Execution, AppError>> {
    Action::new(move |change: &Change| {
        let change = change.clone();
        async move {
            settle(match change {
                Change::Pause => pause_execution(id).await,
                Change::Resume => resume_execution(id).await,
                Change::Cancel(reason) => cancel_execution(id, reason).await,
                Change::Restart(stage) => restart_stage(id, stage).await,
                Change::SkipWindow(stage) => skip_window(id, stage).await,
            })
        }
    })
}

/// Which dialog of the page is open, and what was typed in it. Held by the page, not by the
/// execution's view: a live update renders the view again, and an open dialog (with the reason
/// being typed) must stay as it is.
#[derive(Clone, Copy)]
pub(super) struct OpenDialogs {
    /// Cancel is open.
    canceling: RwSignal<bool>,
    /// The reason typed in Cancel.
    reason: RwSignal<String>,
    /// Restart is open for the stage with this refId.
    restarting: RwSignal<Option<String>>,
}

impl OpenDialogs {
    pub(super) fn provide() {
        provide_context(OpenDialogs {
            canceling: RwSignal::new(false),
            reason: RwSignal::new(String::new()),
            restarting: RwSignal::new(None),
        });
    }
}

/// The refusal of the action's last change, if it was refused.
fn refusal(action: Action<Change, Result<Execution, AppError>>) -> Signal<Option<AppError>> {
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// Pause / Resume and Cancel, as the execution's status allows.
#[component]
pub(super) fn ExecutionActions(execution: Execution) -> impl IntoView {
    let change = changes(execution.id);
    let OpenDialogs {
        canceling, reason, ..
    } = expect_context::<OpenDialogs>();
    let status = execution.status;
    let active = !status.is_complete();
    let pending = change.pending();
    view! {
        <WithAccess what=Authorization::Execute render={move |refusal: Option<String>| {
            let refused = refusal.is_some();
            view! {
                {(status == ExecutionStatus::Running).then(|| view! {
                    <button type="button" class="button" disabled=move || refused || pending.get() on:click=move |_| { change.dispatch(Change::Pause); }>"Pause"</button>
                })}
                {(status == ExecutionStatus::Paused).then(|| view! {
                    <button type="button" class="button" disabled=move || refused || pending.get() on:click=move |_| { change.dispatch(Change::Resume); }>"Resume"</button>
                })}
                {active.then(|| view! {
                    <button type="button" class="button danger" disabled=refused on:click=move |_| canceling.set(true)>"Cancel execution"</button>
                })}
                {active.then(|| view! { <RefusalNote reason=refusal.clone() /> })}
            }
        }} />
        <FormError errors=refusal(change) known_fields=&[] />
        {move || canceling.get().then(|| view! { <CancelDialog change reason on_close=Callback::new(move |()| canceling.set(false)) /> })}
    }
}

#[component]
fn CancelDialog(
    change: Action<Change, Result<Execution, AppError>>,
    reason: RwSignal<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let no_errors = Signal::derive(|| None::<AppError>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            reason.set(String::new());
            on_close.run(());
        }
    });
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        let text = reason.get_untracked().trim().to_string();
        change.dispatch(Change::Cancel((!text.is_empty()).then_some(text)));
    };
    view! {
        <Dialog id="cancel-dialog" title="Cancel execution" on_close focus="cancel-reason">
            <form on:submit=submit novalidate=true>
                <p>"The running stages stop and no other stage starts. Deployments that have begun continue and may need cleaning up by hand."</p>
                <TextField id="cancel-reason" label="Reason (optional)" field="reason" value=reason errors=no_errors />
                <FormError errors=refusal(change) known_fields=&[] />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Keep running"</button>
                    <button type="submit" class="button danger" disabled=move || change.pending().get()>"Cancel execution"</button>
                </div>
            </form>
        </Dialog>
    }
}

/// "Restart <stage>", for a stage that has finished, after a confirmation.
#[component]
pub(super) fn RestartStage(id: ExecutionId, stage: StageExecution) -> impl IntoView {
    let change = changes(id);
    let restarting = expect_context::<OpenDialogs>().restarting;
    let name = stage.name.clone();
    let ref_id = stage.ref_id.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            restarting.set(None);
        }
    });
    let asking = {
        let ref_id = ref_id.clone();
        move || restarting.with(|open| open.as_deref() == Some(ref_id.as_str()))
    };
    let open = {
        let ref_id = ref_id.clone();
        move |_| restarting.set(Some(ref_id.clone()))
    };
    view! {
        <button type="button" class="button" on:click=open>{format!("Restart {name}")}</button>
        {move || asking().then(|| {
            let ref_id = ref_id.clone();
            let close = Callback::new(move |()| restarting.set(None));
            let name = stage.name.clone();
            view! {
                <Dialog id="restart-dialog" title=format!("Restart {name}") on_close=close focus="restart-submit">
                    <p>{format!("{name} runs again, and so does every stage after it.")}</p>
                    <FormError errors=refusal(change) known_fields=&[] />
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                        <button type="button" class="button primary" id="restart-submit" disabled=move || change.pending().get()
                            on:click=move |_| { change.dispatch(Change::Restart(ref_id.clone())); }>
                            "Restart"
                        </button>
                    </div>
                </Dialog>
            }
        })}
    }
}

/// A stage waiting for its execution window: when it opens, and "Skip remaining window".
#[component]
pub(super) fn WindowWait(id: ExecutionId, stage: StageExecution) -> impl IntoView {
    let change = changes(id);
    let when = stage
        .tasks
        .first()
        .and_then(|t| t.message.clone())
        .unwrap_or_else(|| "Waiting for its execution window.".into());
    let ref_id = stage.ref_id.clone();
    view! {
        <div class="window-wait">
            <p>{when}</p>
            <FormError errors=refusal(change) known_fields=&[] />
            <button type="button" class="button" disabled=move || change.pending().get()
                on:click=move |_| { change.dispatch(Change::SkipWindow(ref_id.clone())); }>
                "Skip remaining window"
            </button>
        </div>
    }
}
