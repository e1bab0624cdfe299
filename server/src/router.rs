//! The HTTP surface: health endpoints, the Leptos UI with its server functions, and the
//! static files of the built UI, with one tracing span per request, compression and caching.
//! The built UI's files are served as the build compressed them (`.br`, `.gz` beside each, by
//! `cargo leptos build --precompress`); only pages and API answers are compressed per request.

use axum::{Router, http::Request, routing::get};
use gennaker_app::{App, shell};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::state::AppState;
use crate::{api, caching, health};

/// Builds the router for `state`.
pub fn build(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let options = state.leptos_options.clone();
    let render = move || shell(options.clone());

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api::routes())
        .leptos_routes_with_context(&state, routes, context.clone(), render)
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(caching::cache_control))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}
