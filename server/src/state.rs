//! The state every request handler and server function can reach.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use gennaker_app::services::Services;
use leptos::config::{Env, LeptosOptions};

use crate::accounts::ConfiguredAccounts;
use crate::applications::ApplicationService;
use crate::config::Config;
use crate::store::Backend;

/// Shared by all requests; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Where the built UI lives and how the HTML shell links to it.
    pub leptos_options: LeptosOptions,
    /// The backend, as server functions and API handlers see it.
    pub services: Services,
    /// The data directory, checked by `/readyz`.
    pub data_dir: PathBuf,
    /// The store's backend, checked by `/readyz`.
    pub store: Arc<Backend>,
}

impl AppState {
    /// Builds the state for a server listening on `local_addr`.
    pub fn new(config: &Config, store: Arc<Backend>, local_addr: SocketAddr) -> AppState {
        let leptos_options = LeptosOptions::builder()
            .output_name("gennaker")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .env(Env::PROD)
            .build();
        AppState {
            leptos_options,
            services: Services {
                accounts: Arc::new(ConfiguredAccounts::new(&config.kubernetes)),
                applications: Arc::new(ApplicationService::new(store.clone())),
            },
            data_dir: config.data_dir.clone(),
            store,
        }
    }
}
