//! The state every request handler and server function can reach.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use gennaker_app::services::Services;
use leptos::config::{Env, LeptosOptions};

use crate::applications::ApplicationService;
use crate::config::Config;
use crate::events::EventBus;
use crate::kubernetes::Kubernetes;
use crate::store::Backend;
use crate::tasks::{TaskEngine, Tasks};

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
    /// Changes pushed to browsers.
    pub events: EventBus,
}

/// The running backend parts the state is built from.
pub struct Backends {
    pub store: Arc<Backend>,
    pub kubernetes: Arc<Kubernetes>,
    pub tasks: Arc<TaskEngine>,
    pub configs: Arc<crate::pipelines::configs::Configs>,
    pub pipelines: Arc<crate::pipelines::engine::PipelineEngine>,
    pub registries: Arc<crate::registries::DockerRegistries>,
    pub events: EventBus,
}

impl AppState {
    /// Builds the state for a server listening on `local_addr`.
    pub fn new(config: &Config, backends: Backends, local_addr: SocketAddr) -> AppState {
        let leptos_options = LeptosOptions::builder()
            .output_name("gennaker")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .env(Env::PROD)
            .build();
        let applications: Arc<dyn gennaker_app::services::ApplicationCatalog> =
            Arc::new(ApplicationService::new(backends.store.clone()));
        AppState {
            leptos_options,
            services: Services {
                accounts: backends.kubernetes.clone(),
                applications: applications.clone(),
                infrastructure: backends.kubernetes,
                tasks: Arc::new(Tasks(backends.tasks)),
                pipelines: Arc::new(crate::pipelines::Pipelines {
                    configs: backends.configs,
                    engine: backends.pipelines,
                    applications,
                }),
                registries: backends.registries,
            },
            data_dir: config.data_dir.clone(),
            store: backends.store,
            events: backends.events,
        }
    }
}
