//! Gennaker's server: serves the Leptos UI, its server functions and the HTTP API, and runs
//! the pipeline engine and task runner, the store, the triggers and the Kubernetes provider.
//!
//! Error policy: each layer has one error type whose messages tell an operator what to fix.
//! Configuration errors stop the process before it serves anything; a failure is logged once,
//! where it is handled.

pub mod api;
pub mod applications;
pub mod artifacts;
pub mod audit;
pub mod auth;
pub mod caching;
pub mod cli;
pub mod config;
pub mod events;
pub mod gate;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod jenkins;
pub mod kubernetes;
pub mod notifications;
pub mod pipelines;
pub mod registries;
pub mod router;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod triggers;

use std::path::PathBuf;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::AppState;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source} (is another process using the port?)")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the store: {0}")]
    Store(#[source] store::StoreError),
    #[error(transparent)]
    Registries(#[from] registries::RegistryError),
    #[error(transparent)]
    Jenkins(#[from] jenkins::JenkinsError),
    #[error("cannot read the users: {0}")]
    Users(#[source] auth::AuthError),
    #[error(transparent)]
    Unprotected(#[from] auth::Unprotected),
    #[error(transparent)]
    Oidc(#[from] auth::oidc::OidcError),
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Chooses rustls' cryptography for the whole process. Two providers are compiled in (the
/// Kubernetes client asks for ring, the AWS SDK for aws-lc-rs), and rustls refuses to guess
/// between them, so every TLS client would panic without this. Calling it again is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Binds the configured address and serves until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), ServerError> {
    // Decided before the address is bound: nothing is served unprotected, not even briefly.
    install_crypto_provider();
    let backend = open_store(&config).await?;
    let mode = auth::Auth::check(&backend, &config.auth, config.listen).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    serve_with(config, listener, shutdown::signal(), (backend, mode)).await
}

async fn open_store(config: &Config) -> Result<std::sync::Arc<store::Backend>, ServerError> {
    let backend = store::open(&config.store)
        .await
        .map_err(ServerError::Store)?;
    tracing::info!(store = ?backend, "store opened");
    Ok(backend)
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    install_crypto_provider();
    let backend = open_store(&config).await?;
    let listen = listener.local_addr().map_err(ServerError::Serve)?;
    let mode = auth::Auth::check(&backend, &config.auth, listen).await?;
    serve_with(config, listener, shutdown, (backend, mode)).await
}

/// Serves with the store opened and the sign-in mode decided.
async fn serve_with(
    config: Config,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    (backend, mode): (std::sync::Arc<store::Backend>, auth::Mode),
) -> Result<(), ServerError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    for account in &config.kubernetes.accounts {
        for warning in account.warnings() {
            tracing::warn!(account.name = %account.name, "Kubernetes account {}: {warning}", account.name);
        }
    }
    if config.kubernetes.accounts.is_empty() {
        tracing::warn!("no Kubernetes accounts: no kubeconfig was found and none is configured");
    }
    let (audit, opened) = audit::AuditStore::open(backend.clone())
        .await
        .map_err(ServerError::Store)?;
    tracing::info!(
        entries = opened.records,
        "audit log opened: {} entries",
        opened.records
    );
    let auth = auth::Auth::start(
        backend.clone(),
        &config.auth,
        (listener.local_addr().map_err(ServerError::Serve)?, mode),
        config.notifications.public_url.as_deref(),
        std::sync::Arc::new(audit),
    )?;
    let (orchestrations, opened) =
        gate::store::Orchestrations::open(backend.clone(), config.tasks.retention)
            .await
            .map_err(ServerError::Store)?;
    tracing::info!(tasks = opened.records, "Gate's tasks opened");
    let orchestrations = std::sync::Arc::new(orchestrations);
    orchestrations.keep_tidy();
    let events = events::EventBus::default();
    let kubernetes = std::sync::Arc::new(
        kubernetes::Kubernetes::connect(&config.kubernetes, events.clone()).await,
    );
    let (task_store, opened) = tasks::store::TaskStore::open(backend.clone(), tasks::store::LAYOUT)
        .await
        .map_err(ServerError::Store)?;
    tracing::info!(
        tasks = opened.records,
        running = opened.running,
        "task store opened: {} tasks, {} running",
        opened.records,
        opened.running
    );
    let registries = std::sync::Arc::new(registries::DockerRegistries::new(
        &config.docker_registries,
        events.clone(),
    )?);
    registries.watch_health();
    let jenkins = std::sync::Arc::new(jenkins::JenkinsMasters::new(&config.jenkins_masters)?);
    let engine = tasks::TaskEngine::new(
        task_store,
        kubernetes.clone(),
        registries.clone(),
        jenkins.clone(),
        std::sync::Arc::new(
            artifacts::ArtifactReader::new(&config.artifact_accounts)
                .with_renderers(config.bake.clone()),
        ),
        events.clone(),
        config.tasks,
    );
    let (execution_store, opened) =
        pipelines::store::ExecutionStore::open(backend.clone(), pipelines::store::LAYOUT)
            .await
            .map_err(ServerError::Store)?;
    tracing::info!(
        executions = opened.records,
        running = opened.running,
        "execution store opened: {} executions, {} running or waiting",
        opened.records,
        opened.running
    );
    let configs = std::sync::Arc::new(pipelines::configs::Configs::new(
        backend.clone(),
        kubernetes.clone(),
        jenkins.clone(),
        config.secrets.names().map(str::to_string).collect(),
    ));
    let pipeline_engine = pipelines::engine::PipelineEngine::new(
        configs.clone(),
        execution_store,
        engine.clone(),
        kubernetes.clone(),
        registries.clone(),
        events.clone(),
        pipelines::engine::Retention {
            age: config.pipelines.execution_retention,
            per_pipeline: config.pipelines.keep_executions,
        },
    );
    // Tasks resume only now that the pipeline engine follows them and runs the child pipelines
    // of Pipeline stages: resumed earlier, a Pipeline stage's step would find no engine.
    engine.resume_all().await;
    engine.keep_tidy();
    pipeline_engine.resume_all().await;
    pipeline_engine.keep_tidy();
    let triggers = triggers::Triggers::new(
        configs.clone(),
        pipeline_engine.clone(),
        registries.clone(),
        jenkins.clone(),
        backend.clone(),
        config.secrets.clone(),
        (
            config.triggers,
            (mode == auth::Mode::SignIn).then(|| config.policy()),
        ),
    );
    triggers.run(&events).await;
    let notifier = notifications::Notifier::new(
        pipeline_engine.clone(),
        backend.clone(),
        config.secrets.clone(),
        &config.notifications,
        listener.local_addr().map_err(ServerError::Serve)?,
        events.clone(),
    );
    notifier.run();
    let state = AppState::new(
        &config,
        state::Backends {
            store: backend,
            kubernetes,
            tasks: engine,
            configs,
            pipelines: pipeline_engine,
            registries,
            jenkins,
            triggers,
            notifier,
            events,
            auth,
            orchestrations,
        },
        listener.local_addr().map_err(ServerError::Serve)?,
    );
    let stopping = state.stopping.clone();
    let app = router::build(state);
    tracing::info!(
        listen = %config.listen,
        data_dir = %config.data_dir.display(),
        accounts = config.kubernetes.accounts.len(),
        "Gennaker is serving on http://{}",
        listener.local_addr().map_err(ServerError::Serve)?
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        stopping.cancel();
    })
    .await
    .map_err(ServerError::Serve)?;
    tracing::info!("Gennaker stopped");
    Ok(())
}
