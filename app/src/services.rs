//! The narrow interfaces server functions use to reach the backend. The server crate
//! implements them and provides a [`Services`] value as context for every request, so
//! the UI crate never learns how configuration, storage or Kubernetes work.

use std::sync::Arc;

use crate::error::{AppError, Handled};
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion,
};
use gennaker_core::ids::{ExecutionId, TaskId};
use gennaker_core::infrastructure::load_balancers::{LoadBalancer, SecurityGroup};
use gennaker_core::infrastructure::server_groups::ClusterView;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::import::{ImportOptions, Imported, Prepared};
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};
use gennaker_core::tasks::model::{Operation, Task};

/// Read access to the configured accounts.
pub trait AccountDirectory: Send + Sync {
    /// The Kubernetes accounts, in configuration order.
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary>;
}

/// Applications: list, read, change, and their history. `who` names the acting user.
#[async_trait::async_trait]
pub trait ApplicationCatalog: Send + Sync {
    /// Applications whose name, owner or description contains `query`, ordered by `sort`.
    async fn list(&self, query: &str, sort: ApplicationSort) -> Result<Vec<Application>, AppError>;
    async fn get(&self, name: &str) -> Result<Application, AppError>;
    async fn create(&self, spec: ApplicationSpec, who: &str) -> Result<Application, AppError>;
    /// Saves `spec` if the application is still at `version`.
    async fn update(
        &self,
        name: &str,
        version: u64,
        spec: ApplicationSpec,
        who: &str,
    ) -> Result<Application, AppError>;
    /// Deletes the application if it is still at `version` and `confirm` repeats its name.
    async fn delete(
        &self,
        name: &str,
        version: u64,
        confirm: &str,
        who: &str,
    ) -> Result<(), AppError>;
    /// Every saved version, newest first.
    async fn history(&self, name: &str) -> Result<Vec<ApplicationVersion>, AppError>;
    /// One saved version.
    async fn version(&self, name: &str, version: u64) -> Result<ApplicationVersion, AppError>;
    /// Makes `version`'s content the newest version, if the application is at `expected_version`.
    async fn restore(
        &self,
        name: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<Application, AppError>;
}

/// What the clusters run for an application, read from the watch-fed cache.
#[async_trait::async_trait]
pub trait Infrastructure: Send + Sync {
    /// Clusters with their server groups and instances.
    async fn clusters(&self, application: &str) -> Result<Vec<ClusterView>, AppError>;
    /// Services of the application.
    async fn load_balancers(&self, application: &str) -> Result<Vec<LoadBalancer>, AppError>;
    /// NetworkPolicies of the application.
    async fn security_groups(&self, application: &str) -> Result<Vec<SecurityGroup>, AppError>;
    /// Jobs of the application, newest first.
    async fn jobs(
        &self,
        application: &str,
    ) -> Result<Vec<gennaker_core::infrastructure::jobs::JobView>, AppError>;
}

/// Durable tasks: every change to a cluster runs as one.
#[async_trait::async_trait]
pub trait TaskService: Send + Sync {
    /// Checks the operation (nothing reaches the cluster when it is refused), stores it as a
    /// task and starts it.
    async fn submit(&self, operation: Operation, who: &str) -> Result<Task, AppError>;
    /// The newest `limit` tasks, newest first, of one application or of all.
    async fn list(&self, application: Option<&str>, limit: usize) -> Result<Vec<Task>, AppError>;
    async fn get(&self, id: TaskId) -> Result<Task, AppError>;
    /// Asks a running task to stop.
    async fn cancel(&self, id: TaskId) -> Result<Task, AppError>;
}

/// Pipelines: their configurations (versioned, as applications are) and executions.
#[async_trait::async_trait]
pub trait PipelineService: Send + Sync {
    /// The application's pipelines, in their `index` order.
    async fn list(&self, application: &str) -> Result<Vec<StoredPipeline>, AppError>;
    async fn get(&self, id: &str) -> Result<StoredPipeline, AppError>;
    /// Stores a new pipeline (with the id it has, as an import does, or a new one).
    async fn create(&self, config: PipelineConfig, who: &str) -> Result<StoredPipeline, AppError>;
    /// Imports pipelines as Spinnaker wrote them, made ready by
    /// [`gennaker_core::pipelines::import::prepare`], into `options.application`: each `Ok` is
    /// stored whole, what keeps it from running marked; an `Err` is reported, not stored.
    async fn import(
        &self,
        pipelines: Vec<Result<Prepared, String>>,
        options: ImportOptions,
        who: &str,
    ) -> Result<Imported, AppError>;
    /// Saves `config` if the pipeline is still at `version`.
    async fn update(
        &self,
        id: &str,
        version: u64,
        config: PipelineConfig,
        who: &str,
    ) -> Result<StoredPipeline, AppError>;
    async fn delete(&self, id: &str, version: u64, who: &str) -> Result<(), AppError>;
    /// Every saved version, newest first.
    async fn history(&self, id: &str) -> Result<Vec<PipelineVersion>, AppError>;
    /// Makes `version`'s content the newest, if the pipeline is at `expected_version`.
    async fn restore(
        &self,
        id: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<StoredPipeline, AppError>;
    /// The next runs of a CRON trigger's expression in its zone, for the editor.
    async fn cron_runs(
        &self,
        expression: &str,
        time_zone: &str,
        trigger_id: &str,
    ) -> Result<Vec<gennaker_core::pipelines::triggers::CronRun>, AppError>;
    /// The repositories Docker Registry triggers watch, and how each was last seen.
    async fn watched_repositories(
        &self,
    ) -> Vec<gennaker_core::pipelines::triggers::WatchedRepository>;
    /// The notifications of an execution, oldest first.
    async fn deliveries(
        &self,
        id: ExecutionId,
    ) -> Result<Vec<gennaker_core::pipelines::notifications::Delivery>, AppError>;
    /// How each notification channel has been doing.
    fn notification_channels(&self) -> Vec<gennaker_core::pipelines::notifications::ChannelHealth>;
    /// The names of the server's secrets triggers may use (never their values).
    fn secret_names(&self) -> Vec<String>;
    /// Starts a manual execution.
    async fn start(
        &self,
        id: &str,
        request: StartRequest,
        who: &str,
    ) -> Result<Execution, AppError>;
    /// Executions, newest first.
    async fn executions(&self, filter: ExecutionFilter) -> Result<Vec<Execution>, AppError>;
    async fn execution(&self, id: ExecutionId) -> Result<Execution, AppError>;
    async fn cancel(
        &self,
        id: ExecutionId,
        reason: Option<String>,
        who: &str,
    ) -> Result<Execution, AppError>;
    async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError>;
    async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError>;
    /// Runs a finished stage (by id or refId) again, and every stage downstream of it.
    async fn restart_stage(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError>;
    /// Records a Manual Judgment's decision, if `who` may decide it.
    async fn judge(
        &self,
        id: ExecutionId,
        stage: &str,
        judgment: Judgment,
        who: &gennaker_core::auth::model::Principal,
    ) -> Result<Execution, AppError>;
    /// Ends a stage's wait for its execution window now.
    async fn skip_window(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError>;
    /// Evaluates `expression` (with or without `${}`) against the execution.
    async fn evaluate(
        &self,
        id: ExecutionId,
        expression: &str,
    ) -> Result<serde_json::Value, AppError>;
}

/// Docker-registry accounts: their health, repositories and tags.
#[async_trait::async_trait]
pub trait Registries: Send + Sync {
    fn registries(&self) -> Vec<gennaker_core::registries::DockerRegistrySummary>;
    async fn repositories(
        &self,
        registry: &str,
    ) -> Result<gennaker_core::registries::RepositoryList, AppError>;
    /// Tags, newest-looking first.
    async fn tags(&self, registry: &str, repository: &str) -> Result<Vec<String>, AppError>;
}

/// Jenkins masters: their names and jobs.
#[async_trait::async_trait]
pub trait Jenkins: Send + Sync {
    /// The configured masters' names.
    fn masters(&self) -> Vec<String>;
    /// The jobs at the top of a master.
    async fn jobs(&self, master: &str) -> Result<Vec<String>, AppError>;
}

/// API tokens: each acts as the user who made it, until it expires or is revoked.
#[async_trait::async_trait]
pub trait TokenService: Send + Sync {
    /// `who`'s tokens, newest first.
    async fn list(
        &self,
        who: &gennaker_core::auth::model::Principal,
    ) -> Result<Vec<gennaker_core::auth::model::ApiToken>, AppError>;
    /// A new token for `who`, named `name`, valid for `days`.
    async fn create(
        &self,
        who: &gennaker_core::auth::model::Principal,
        name: &str,
        days: u32,
    ) -> Result<gennaker_core::auth::model::NewToken, AppError>;
    /// Revokes `who`'s token `id`.
    async fn revoke(
        &self,
        who: &gennaker_core::auth::model::Principal,
        id: &str,
    ) -> Result<(), AppError>;
}

/// The audit log: entries are added, never changed.
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores `entry` durably.
    async fn record(&self, entry: gennaker_core::audit::model::AuditEntry) -> Result<(), AppError>;
    /// The newest entries `filter` picks, at most `filter.limit()`, read until `visible`
    /// has let that many through.
    async fn entries(
        &self,
        filter: &gennaker_core::audit::model::AuditFilter,
        visible: &(
             dyn for<'e> Fn(&'e gennaker_core::audit::model::AuditEntry) -> bool + Send + Sync
         ),
    ) -> Result<Vec<gennaker_core::audit::model::AuditEntry>, AppError>;
}

/// What the services acting for one principal answer about that principal (implemented by
/// `auth::guarded`).
#[async_trait::async_trait]
pub trait Checks: Send + Sync {
    /// What the principal may do with `application`.
    async fn access(
        &self,
        application: &str,
    ) -> Result<gennaker_core::auth::permissions::Access, AppError>;
    /// The audit entries `filter` picks that the principal may see.
    async fn audit_entries(
        &self,
        filter: &gennaker_core::audit::model::AuditFilter,
    ) -> Result<Vec<gennaker_core::audit::model::AuditEntry>, AppError>;
}

/// The changes the server announces to open pages (`/api/v1/events`).
pub trait ChangeFeed: Send + Sync {
    /// How many changes were announced since the server started. A page renders with this
    /// number and hands it back when it starts listening, so it learns whether it missed any
    /// in between without reloading what it shows.
    fn published(&self) -> u64;
}

/// Everything server functions may call, provided as Leptos context.
#[derive(Clone)]
pub struct Services {
    /// Accounts from the configuration, with their health.
    pub accounts: Arc<dyn AccountDirectory>,
    /// Applications in the store.
    pub applications: Arc<dyn ApplicationCatalog>,
    /// Server groups, load balancers and security groups.
    pub infrastructure: Arc<dyn Infrastructure>,
    /// Tasks.
    pub tasks: Arc<dyn TaskService>,
    /// Pipelines and their executions.
    pub pipelines: Arc<dyn PipelineService>,
    /// Container registries.
    pub registries: Arc<dyn Registries>,
    /// Jenkins masters.
    pub jenkins: Arc<dyn Jenkins>,
    /// Changes announced to open pages.
    pub changes: Arc<dyn ChangeFeed>,
    /// API tokens.
    pub tokens: Arc<dyn TokenService>,
    /// The audit log.
    pub audit: Arc<dyn AuditLog>,
    /// The OpenID Connect provider's name on the sign-in page, when one is configured.
    pub single_sign_on: Option<String>,
    /// Who may do anything (admin roles).
    pub policy: gennaker_core::auth::permissions::Policy,
    /// The checks of the principal these services act for ([`Services::acting_as`]); `None`
    /// for the backend's own, unchecked services.
    pub guard: Option<Arc<dyn Checks>>,
}

/// The services of the current request, or an error saying the server is still starting.
/// Inside a request nobody is known to make (sign-in is on and the request reached a page
/// the sign-in check let through as public), nothing is served: the check attaches a
/// principal to every request it lets act.
pub fn services() -> Result<Services, AppError> {
    if let Some(parts) = leptos::prelude::use_context::<http::request::Parts>()
        && parts
            .extensions
            .get::<gennaker_core::auth::model::Principal>()
            .is_none()
    {
        return Err(AppError::SignedOut("Sign in to use Gennaker.".into()));
    }
    let services = leptos::prelude::use_context::<Services>()
        .ok_or_else(|| AppError::Unavailable("the server has not finished starting".into()))?;
    Ok(services.acting_as(principal(&request_parts())))
}

/// Who makes the request with these `parts`: the name a change records as made by
/// (`createdBy`, `updatedBy`, a task's `createdBy`).
pub fn acting_user(parts: &http::request::Parts) -> String {
    principal(parts).name
}

/// The principal the server's sign-in check attached to the request; everyone ("anonymous",
/// open) when there is none, which happens only when Gennaker runs open: with sign-in on, no
/// request reaches a server function without a principal.
pub fn principal(parts: &http::request::Parts) -> gennaker_core::auth::model::Principal {
    parts
        .extensions
        .get::<gennaker_core::auth::model::Principal>()
        .cloned()
        .unwrap_or_else(gennaker_core::auth::model::Principal::open)
}

/// The request the current server function answers; an empty one outside a request.
pub fn request_parts() -> http::request::Parts {
    leptos::prelude::use_context::<http::request::Parts>()
        .unwrap_or_else(|| http::Request::new(()).into_parts().0)
}

/// The headers of the request the current server function answers; empty outside one.
pub fn request_headers() -> http::HeaderMap {
    leptos::prelude::use_context::<http::request::Parts>()
        .map(|parts| parts.headers)
        .unwrap_or_default()
}

/// The answer of a server function behind a form that must work before the page's WASM has
/// arrived: a manager approving a Manual Judgment on a slow phone, Create Application. The
/// form is an `ActionForm`, a real `<form method="post">` to the server function:
///
/// - Once the page is interactive the form posts with `fetch`; a refusal travels inside `Ok`
///   like every other server function's, and shows beside the fields.
/// - Before that the browser posts the form itself (it asks for `text/html`) and follows a
///   redirect: after a refusal, back to the form's page with the refusal in its address
///   (`__path`, `__err`), from which the server renders the form's `ServerAction` with it.
///
/// Either way, after success the user goes to `next(value)`.
pub fn answer_form<S: leptos::server_fn::ServerFn, T>(
    handled: Handled<T>,
    next: impl FnOnce(&T) -> String,
) -> Result<Handled<T>, AppError> {
    use leptos::server_fn::error::ServerFnUrlError;

    let headers = request_headers();
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let plain_post = header(http::header::ACCEPT).is_some_and(|v| v.contains("text/html"));
    let to = match &handled {
        Ok(value) => next(value),
        Err(refusal) if plain_post => {
            // Only the latest refusal: an earlier one may still be in the form's address.
            let mut back = header(http::header::REFERER).unwrap_or("/").to_string();
            ServerFnUrlError::<AppError>::strip_error_info(&mut back);
            match ServerFnUrlError::new(S::PATH, refusal.clone()).to_url(&back) {
                Ok(url) => url.to_string(),
                Err(_) => back,
            }
        }
        Err(_) => return Ok(handled),
    };
    leptos_axum::redirect(&to);
    Ok(handled)
}
