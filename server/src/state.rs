//! The state every request handler and server function can reach.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    /// Webhook calls and registry notifications start pipelines through it.
    pub triggers: Arc<crate::triggers::Triggers>,
    /// Cancelled when the server is asked to stop: endless responses (live updates) end, so
    /// the requests in flight can finish.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Who signs in, and their sessions.
    pub auth: Arc<crate::auth::Auth>,
    /// Gate's tasks (`POST /tasks`).
    pub orchestrations: Arc<crate::gate::store::Orchestrations>,
    /// Where Gate's routes are mounted.
    pub gate_path: String,
}

/// The running backend parts the state is built from.
pub struct Backends {
    pub store: Arc<Backend>,
    pub kubernetes: Arc<Kubernetes>,
    pub tasks: Arc<TaskEngine>,
    pub configs: Arc<crate::pipelines::configs::Configs>,
    pub pipelines: Arc<crate::pipelines::engine::PipelineEngine>,
    pub registries: Arc<crate::registries::DockerRegistries>,
    pub jenkins: Arc<crate::jenkins::JenkinsMasters>,
    pub triggers: Arc<crate::triggers::Triggers>,
    pub notifier: Arc<crate::notifications::Notifier>,
    pub events: EventBus,
    pub auth: Arc<crate::auth::Auth>,
    pub orchestrations: Arc<crate::gate::store::Orchestrations>,
}

impl AppState {
    /// Builds the state for a server listening on `local_addr`.
    pub fn new(config: &Config, backends: Backends, local_addr: SocketAddr) -> AppState {
        let hash_file = hash_file(&config.site_root);
        if hash_file.is_none() {
            tracing::warn!(
                site_root = %config.site_root.display(),
                "no {HASH_FILE} in {} nor beside the binary: pages will not find the UI's files \
                 (build it with `cargo leptos build --release --split --precompress`)",
                config.site_root.display()
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("gennaker")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(local_addr)
            .env(Env::PROD)
            .hash_files(hash_file.is_some())
            .hash_file(hash_file.unwrap_or_else(|| HASH_FILE.to_string()).into())
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
                    events: backends.events.clone(),
                    triggers: backends.triggers.clone(),
                    notifier: backends.notifier,
                }),
                registries: backends.registries,
                jenkins: backends.jenkins,
                changes: Arc::new(backends.events.clone()),
                tokens: backends.auth.tokens.clone(),
                audit: backends.auth.audit.clone(),
                single_sign_on: backends
                    .auth
                    .single_sign_on
                    .as_ref()
                    .map(|sso| sso.label().to_string()),
                policy: config.policy(),
                guard: None,
            },
            data_dir: config.data_dir.clone(),
            store: backends.store,
            events: backends.events,
            triggers: backends.triggers,
            stopping: tokio_util::sync::CancellationToken::new(),
            auth: backends.auth,
            orchestrations: backends.orchestrations,
            gate_path: config.gate_path.clone(),
        }
    }
}

/// The list of the built UI's hashed file names that cargo-leptos writes (`hash-files`).
const HASH_FILE: &str = "hash.txt";

/// Where the list of hashed file names is: in the site root when the build copied it there
/// (`scripts/env.sh` does, so a site directory describes itself), else beside the binary, where
/// cargo-leptos writes it. Leptos reads it relative to the binary's directory, so a path in the
/// site root is made absolute.
fn hash_file(site_root: &Path) -> Option<String> {
    let in_site = std::path::absolute(site_root.join(HASH_FILE)).ok()?;
    if in_site.is_file() {
        return Some(in_site.to_string_lossy().into_owned());
    }
    let beside_binary = std::env::current_exe().ok()?.parent()?.join(HASH_FILE);
    beside_binary.is_file().then(|| HASH_FILE.to_string())
}
