//! `/tokens`: the signed-in user's API tokens. Making one shows its secret once; each can be
//! revoked. Reached from the user's name in the header.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{ApiToken, CreateToken, RevokeToken, list_tokens};
use crate::components::feedback::{EmptyState, FormError, Loading};
use crate::components::layout::PageHeader;
use crate::components::time::When;
use crate::error::settle;

lazy_page!(
    /// `/tokens`.
    TokensRoute => TokensPage
);

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let create_errors =
        Signal::derive(move || create.value().get().and_then(|answer| settle(answer).err()));
    let revoke_errors =
        Signal::derive(move || revoke.value().get().and_then(|answer| settle(answer).err()));
    let made = move || create.value().get().and_then(|answer| settle(answer).ok());

    view! {
        <Title text="API tokens" />
        <PageHeader
            title="API tokens"
            summary="A token lets a script call Gennaker's API as you (Authorization: Bearer <token>), with your roles, until it expires or you revoke it."
        />
        <section class="card token-new" aria-labelledby="token-new-title">
            <h2 id="token-new-title">"Make a token"</h2>
            <ActionForm action=create attr:novalidate=true>
                <div class="toolbar">
                    <div class="field grow">
                        <label for="token-name">"Name"</label>
                        <input id="token-name" name="name" required placeholder="release script" />
                    </div>
                    <div class="field">
                        <label for="token-days">"Expires after"</label>
                        <select id="token-days" name="days">
                            <option value="30">"30 days"</option>
                            <option value="90" selected>"90 days"</option>
                            <option value="365">"365 days"</option>
                        </select>
                    </div>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        "Make token"
                    </button>
                </div>
                <FormError errors=create_errors known_fields=&[] />
            </ActionForm>
            {move || {
                made()
                    .map(|new| {
                        view! {
                            <div class="token-made" role="status">
                                <p>
                                    <strong>{new.token.name}</strong>
                                    ": copy the token now, it is not shown again."
                                </p>
                                <code class="token-secret">{new.secret}</code>
                            </div>
                        }
                    })
            }}
        </section>
        <section aria-labelledby="token-list-title">
            <h2 id="token-list-title">"Your tokens"</h2>
            <FormError errors=revoke_errors known_fields=&[] />
            <Suspense fallback=|| view! { <Loading label="Loading your tokens" /> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No tokens">
                                "Make one above for each script that calls the API."
                            </EmptyState>
                        }
                        .into_any(),
                        Ok(list) => token_list(list, revoke).into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }
                            .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn token_list(list: Vec<ApiToken>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <ul class="token-list">
            {list
                .into_iter()
                .map(|token| {
                    let label = format!("Revoke {}", token.name);
                    view! {
                        <li class="card token">
                            <div>
                                <strong class="token-name">{token.name}</strong>
                                <p class="hint">
                                    "Made " <When at=token.created_at /> ", expires "
                                    {token.expires_at.exact()}
                                </p>
                            </div>
                            <ActionForm action=revoke>
                                <input type="hidden" name="id" value=token.id />
                                <button type="submit" class="button" aria-label=label>
                                    "Revoke"
                                </button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
