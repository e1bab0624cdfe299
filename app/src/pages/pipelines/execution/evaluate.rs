//! "Evaluate an expression against this execution": what `${...}` would give a stage after all
//! the others, as JSON, or why it cannot be evaluated.

use leptos::prelude::*;

use crate::components::fields::TextField;
use crate::error::{AppError, settle};
use crate::pipelines::evaluate_expression;
use gennaker_core::ids::ExecutionId;

/// The answer to an expression, and the execution it was evaluated against.
type Answer = (ExecutionId, Result<serde_json::Value, AppError>);

/// What the box holds, kept by the page across live updates (which render the execution's
/// view again): the expression being typed and the last answer.
#[derive(Clone, Copy)]
pub(super) struct Evaluation {
    expression: RwSignal<String>,
    answer: Action<(ExecutionId, String), Answer>,
}

impl Evaluation {
    pub(super) fn provide() {
        provide_context(Evaluation {
            expression: RwSignal::new(String::new()),
            answer: Action::new(|(id, text): &(ExecutionId, String)| {
                let (id, text) = (*id, text.clone());
                async move { (id, settle(evaluate_expression(id, text).await)) }
            }),
        });
    }
}

#[component]
pub(super) fn EvaluateBox(id: ExecutionId) -> impl IntoView {
    let Evaluation {
        expression,
        answer: evaluate,
    } = expect_context::<Evaluation>();
    // The page stays when a link leads to another execution: an answer about the one before
    // is not shown.
    let answer = move || {
        evaluate
            .value()
            .get()
            .and_then(|(about, answer)| (about == id).then_some(answer))
    };
    let errors = Signal::derive(move || answer().and_then(Result::err));
    let result = move || {
        answer()
            .and_then(Result::ok)
            .map(|value| serde_json::to_string_pretty(&value).unwrap_or_default())
    };
    let submit = move |event: leptos::web_sys::SubmitEvent| {
        event.prevent_default();
        evaluate.dispatch((id, expression.get_untracked()));
    };
    view! {
        <section class="card evaluate" aria-labelledby="evaluate-title">
            <h3 id="evaluate-title">"Evaluate an expression against this execution"</h3>
            <form on:submit=submit class="inline-form" novalidate=true>
                <div class="grow">
                    <TextField id="evaluate-expression" label="Expression" field="expression" value=expression errors
                        hint="Such as ${trigger.parameters.env} or ${#stage('Deploy').status}" />
                </div>
                <button type="submit" class="button" disabled=move || evaluate.pending().get()>"Evaluate"</button>
            </form>
            {move || result().map(|json| view! { <pre class="json" aria-label="Result">{json}</pre> })}
            {move || errors.get().filter(|e| !matches!(e, AppError::Invalid(_))).map(|e| view! { <p class="form-error">{e.to_string()}</p> })}
        </section>
    }
}
