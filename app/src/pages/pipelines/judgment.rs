//! The Manual Judgment page, for an approver who follows a link on a phone: the pipeline, the
//! stage, its instructions, and the decision in two taps. Tap 1 sends a form to the page itself
//! (`?decision=continue&input=ship`), which shows what will be recorded; tap 2 posts a real form to
//! `decide_judgment`. Both work from the server's HTML before the script arrives (the route is
//! rendered whole, not streamed), and without it: the browser then comes back here, and the
//! page says who decided and when.

use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::time::When;
use crate::error::{AppError, settle};
use crate::live::use_live;
use crate::pipelines::{DecideJudgment, get_judgment, judgment_path};
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::judgment::{JudgmentStage, JudgmentView};

lazy_page!(
    /// The Manual Judgment page: a chunk of its own, small, for a phone.
    JudgmentRoute => JudgmentPage
);

#[component]
pub fn JudgmentPage() -> impl IntoView {
    let params = use_params_map();
    let application = params.read_untracked().get("name").unwrap_or_default();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // The stage is named when the page is fetched (tap 1 adds it to the address, and need not
    // fetch again for it).
    let query = use_query_map();
    let live = use_live(Some(application.clone()));
    let decide = ServerAction::<DecideJudgment>::new();
    let view = Resource::new(
        move || (id.get(), live.pipeline.get(), decide.version().get()),
        move |(id, _, _)| async move {
            let named = query.read_untracked().get("stage");
            let id = ExecutionId::parse(&id)
                .map_err(|_| AppError::NotFound(format!("There is no execution {id:?}.")))?;
            settle(get_judgment(id, named).await)
        },
    );
    view! {
        <Title text="Manual Judgment" />
        <div class="judgment-page">
            <p class="breadcrumb"><a href=format!("/applications/{application}/pipelines")>{application.clone()}</a> " / Manual Judgment"</p>
            <Transition fallback=|| view! { <Loading label="Loading the execution…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                    {move || Suspend::new(async move {
                        view.await.map(|judgment| view! { <Judgment judgment decide /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

#[component]
fn Judgment(judgment: JudgmentView, decide: ServerAction<DecideJudgment>) -> impl IntoView {
    let details = format!(
        "/applications/{}/executions/{}",
        judgment.application, judgment.execution_id
    );
    let Some(stage) = judgment.stage.clone() else {
        return view! {
            <h1>{judgment.pipeline.clone()}</h1>
            <p class="judgment-state">"Nothing to decide: this execution has no Manual Judgment waiting."</p>
            <p>"It is " <strong>{judgment.status.label()}</strong> ". " <a href=details>"See the execution"</a></p>
        }
        .into_any();
    };
    let body = if stage.waiting() {
        // Who is looking decides whether the buttons work: someone without one of the
        // judgment's roles sees why instead of a refusal after the tap.
        let viewer = expect_context::<crate::components::layout::ViewerResource>().0;
        let (judgment, stage) = (judgment.clone(), stage.clone());
        view! {
            <Suspense fallback=|| ()>
                {move || {
                    let (judgment, stage) = (judgment.clone(), stage.clone());
                    Suspend::new(async move {
                        let refusal = match viewer.await {
                            Ok(crate::auth::Viewer::SignedIn(principal)) => {
                                principal.judgment_refusal(&stage.roles)
                            }
                            _ => None,
                        };
                        view! { <Decide judgment stage decide refusal /> }
                    })
                }}
            </Suspense>
        }
        .into_any()
    } else {
        view! { <Decided stage=stage.clone() /> }.into_any()
    };
    view! {
        <h1>
            <span class="judgment-pipeline">{judgment.pipeline.clone()}</span>
            <span class="judgment-stage">{stage.name.clone()}</span>
        </h1>
        {stage.instructions.clone().map(|text| view! { <p class="judgment-instructions">{text}</p> })}
        {body}
        <p class="judgment-footer"><a href=details>"See the whole execution"</a></p>
    }
    .into_any()
}

/// Who decided and when, or why there is nothing to decide.
#[component]
fn Decided(stage: JudgmentStage) -> impl IntoView {
    match (stage.decision.clone(), stage.last_modified.clone()) {
        (Some((continued, input)), Some(by)) => {
            let (verb, class) = if continued { ("Continued", "succeeded") } else { ("Stopped", "failed") };
            view! {
                <p class=format!("judgment-decided {class}") role="status">
                    <strong>{verb}</strong> " by " <strong>{by.user}</strong> " " <When at=by.last_modified_time />
                    {input.map(|i| view! { <span>{format!(" (input: {i})")}</span> })}
                </p>
            }
            .into_any()
        }
        _ => view! {
            <p class="judgment-state">{format!("Nothing to decide: the stage is {}.", stage.status.label().to_ascii_lowercase())}</p>
        }
        .into_any(),
    }
}

/// Tap 1: the choice, a form the page sends to itself (`?decision=continue&input=ship`, the
/// option from a select, the first one chosen already); tap 2: the confirmation, a form posted
/// to `decide_judgment`.
#[component]
fn Decide(
    judgment: JudgmentView,
    stage: JudgmentStage,
    decide: ServerAction<DecideJudgment>,
    /// Why the viewer may not decide, if they may not: the buttons are disabled and say so.
    refusal: Option<String>,
) -> impl IntoView {
    let not_allowed = refusal.is_some();
    let query = use_query_map();
    let here = judgment_path(
        &judgment.application,
        &judgment.execution_id.to_string(),
        None,
    );
    let (continue_button, stop_button) = (stage.continue_button.clone(), stage.stop_button.clone());
    let options = stage.options.clone();
    let answer = move || match decide.value().get() {
        Some(Ok(Err(error)) | Err(error)) => Some(error.to_string()),
        _ => None,
    };
    let why_not = refusal
        .map(|text| view! { <p class="judgment-not-allowed" id="judgment-not-allowed">{text}</p> });
    let chosen = move || {
        let q = query.read();
        q.get("decision")
            .filter(|d| d == "continue" || d == "stop")
            .map(|d| (d, q.get("input").unwrap_or_default()))
    };
    let (application, id, ref_id) = (
        judgment.application.clone(),
        judgment.execution_id.to_string(),
        stage.ref_id.clone(),
    );
    let choices = move || match chosen() {
        None => {
            let (options, ref_id) = (options.clone(), ref_id.clone());
            let (continue_label, stop_label) =
                (continue_button.label.clone(), stop_button.label.clone());
            view! {
            <Form method="GET" action=here.clone()>
                <input type="hidden" name="stage" value=ref_id />
                {(!options.is_empty()).then(|| view! {
                    <div class="field">
                        <label for="judgment-input">"Judgment"</label>
                        <select id="judgment-input" name="input">
                            {options.iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                })}
                <div class="judgment-choices">
                    <button type="submit" class="button big primary" name="decision" value="continue"
                        disabled=not_allowed aria-describedby=not_allowed.then_some("judgment-not-allowed")>{continue_label}</button>
                    <button type="submit" class="button big danger" name="decision" value="stop"
                        disabled=not_allowed aria-describedby=not_allowed.then_some("judgment-not-allowed")>{stop_label}</button>
                </div>
            </Form>
            }
            .into_any()
        }
        Some((decision, input)) => {
            let button = if decision == "continue" {
                continue_button.clone()
            } else {
                stop_button.clone()
            };
            let label = button.label;
            let question = if input.is_empty() {
                format!("{label}?")
            } else {
                format!("{label} with {input}?")
            };
            let class = if decision == "continue" {
                "button big primary"
            } else {
                "button big danger"
            };
            let (application, id, ref_id) = (application.clone(), id.clone(), ref_id.clone());
            let back = judgment_path(&application, &id, Some(&ref_id));
            view! {
                <p class="judgment-question">{question}</p>
                <ActionForm action=decide>
                    <input type="hidden" name="application" value=application />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="stage" value=ref_id />
                    <input type="hidden" name="decision" value=decision />
                    <input type="hidden" name="input" value=input />
                    <div class="judgment-choices">
                        <button type="submit" class=class id="confirm-judgment" disabled=move || not_allowed || decide.pending().get()>
                            {button.confirm}
                        </button>
                        <a class="button big" href=back>"Back"</a>
                    </div>
                </ActionForm>
                {move || answer().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
            }
            .into_any()
        }
    };
    view! {
        {why_not}
        {choices}
    }
}
