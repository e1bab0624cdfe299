//! The sign-in page. Its form posts to `/auth/login` as a plain HTML form, so signing in works
//! before (or without) the page's script; a refusal comes back in the address (`?error=`),
//! and after signing in the browser goes on to `?next=`, the page that asked for it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::{SignInRefusal, Viewer};

lazy_page!(
    /// `/login`.
    LoginRoute => LoginPage
);

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    // The address names the refusal; the words are the page's own.
    let error = move || {
        let q = query.read();
        let wait = q.get("wait").and_then(|w| w.parse().ok());
        q.get("error")
            .and_then(|code| SignInRefusal::from_code(&code))
            .map(|refusal| refusal.message(wait))
    };
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/applications".into())
    };
    let viewer = expect_context::<crate::components::layout::ViewerResource>().0;
    // After a refusal the name comes back; the password never does.
    let user = move || query.read().get("user").unwrap_or_default();

    view! {
        <Title text="Sign in" />
        <section class="login">
            <h1>"Sign in to Gennaker"</h1>
            {move || {
                error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })
            }}
            <form class="login-form" method="post" action="/auth/login">
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="login-user">"User name"</label>
                    <input
                        id="login-user"
                        name="user"
                        autocomplete="username"
                        required
                        autofocus
                        value=user
                    />
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let provider = match viewer.await {
                        Ok(Viewer::SignedOut { single_sign_on }) => single_sign_on,
                        _ => None,
                    };
                    provider.map(|label| {
                        let href = format!("/auth/oidc/login?next={}", urlencoding::encode(&next()));
                        view! {
                            <p class="login-or">"or"</p>
                            <a class="button login-sso" href=href rel="external">{format!("Sign in with {label}")}</a>
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}
