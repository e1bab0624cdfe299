//! The HTTP surface: health endpoints, the Leptos UI with its server functions, and the
//! static files of the built UI, with one tracing span per request, compression and caching.
//! The built UI's files are served as the build compressed them (`.br`, `.gz` beside each, by
//! `cargo leptos build --precompress`); only pages and API answers are compressed per request.

use axum::Router;
use axum::http::{Method, Request};
use gennaker_app::{App, shell};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::state::AppState;
use crate::{api, caching, health, http};

/// The routes the server's own code declares: health checks, the API and its webhooks,
/// signing in and out, and Spinnaker's Gate API under `gate_path`.
fn declared(gate_path: &str) -> api::Routes {
    api::Routes::default()
        .get("/healthz", health::healthz)
        .get("/readyz", health::readyz)
        .merge(api::routes())
        .merge(http::login::routes())
        .merge(http::oidc::routes())
        .merge(crate::gate::routes().under(gate_path))
}

/// Every route the server answers, listed from what the router is built of: the declared
/// routes, the UI's pages and its server functions. The static files of the UI (and the
/// not-found page) are the fallback, which is public. Gate's routes are listed where they are
/// mounted unless configured otherwise.
pub fn route_list() -> Vec<api::Route> {
    let mut list = declared(crate::gate::DEFAULT_PATH).into_parts().1;
    for page in generate_route_list(App) {
        for method in page.methods() {
            let method = match method {
                leptos_router::Method::Post => Method::POST,
                leptos_router::Method::Put => Method::PUT,
                leptos_router::Method::Delete => Method::DELETE,
                leptos_router::Method::Patch => Method::PATCH,
                leptos_router::Method::Get => Method::GET,
            };
            list.push(api::Route {
                method,
                path: page.path().to_string(),
            });
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        list.push(api::Route {
            method,
            path: path.to_string(),
        });
    }
    list
}

/// Builds the router for `state`.
pub fn build(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let options = state.leptos_options.clone();
    let render = move || shell(options.clone());
    let guarded = (
        state.auth.clone(),
        std::sync::Arc::<str>::from(state.gate_path.as_str()),
    );
    let json_api = guarded.1.clone();
    let (declared, _) = declared(&state.gate_path).into_parts();

    declared
        .leptos_routes_with_context(&state, routes, context.clone(), render)
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guarded,
            http::guard::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            json_api,
            api::error::json_errors,
        ))
        .layer(axum::middleware::from_fn(caching::cache_control))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    user = tracing::field::Empty
                )
            }),
        )
        .with_state(state)
}
