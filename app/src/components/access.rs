//! What the signed-in user may do with the application on screen: actions they may not take
//! are shown disabled with the reason beside them, not refused after the click.

use leptos::prelude::*;

use gennaker_core::auth::permissions::{Access, Authorization};

/// What the signed-in user may do with the application on screen; its page provides it.
#[derive(Clone, Copy)]
pub struct AccessResource(pub Resource<Access>);

/// Renders `render(refusal)` once the user's access to the current application is known:
/// `None` when they may do `what`, else why not.
#[component]
pub fn WithAccess<F, V>(what: Authorization, render: F) -> impl IntoView
where
    F: Fn(Option<String>) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    // Outside an application's page there is nothing to check here: the server decides.
    let Some(AccessResource(access)) = use_context::<AccessResource>() else {
        return render(None).into_any();
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    let access = access.await;
                    render(access.refusal(what).map(str::to_string))
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// Why an action beside it is disabled, as text (not only a tooltip).
#[component]
pub fn RefusalNote(reason: Option<String>) -> impl IntoView {
    reason.map(|reason| view! { <p class="refusal-note" role="note">{reason}</p> })
}
