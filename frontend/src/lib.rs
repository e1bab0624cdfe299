//! The browser entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous hydration: a lazily loaded route (see `gennaker_app::pages`) waits for its
    // WASM chunk, which the server-rendered page already asked the browser to preload.
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), gennaker_app::App)
            .await
            .forget();
        // Tells browser tests (and curious users) that the page is now interactive.
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
