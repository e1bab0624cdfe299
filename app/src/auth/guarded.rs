//! The services as one principal may use them. [`Services::acting_as`] wraps the backend's
//! services so that every call is checked against the application's and the account's
//! permissions (see [`super::permissions`]) before it reaches the backend: the UI's server
//! functions and the JSON API both call through here, so neither can forget a check. Lists
//! leave out what the principal may not see.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::AppError;
use crate::services::{
    AccountDirectory, ApplicationCatalog, AuditLog, Checks, Infrastructure, PipelineService,
    Services, TaskService, TokenService,
};
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion, Permissions,
};
use gennaker_core::audit::model::{AuditAction, AuditEntry, AuditFilter};
use gennaker_core::ids::{ExecutionId, TaskId};
use gennaker_core::infrastructure::jobs::JobView;
use gennaker_core::infrastructure::load_balancers::{LoadBalancer, SecurityGroup};
use gennaker_core::infrastructure::server_groups::ClusterView;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};
use gennaker_core::tasks::model::{Operation, Task};

use super::model::Principal;
use super::permissions::{Access, Authorization, Policy, Resource};

use Authorization::{Execute, Read, Write};

/// One principal's checks, shared by the wrapped services of one request.
pub struct Guard {
    who: Principal,
    policy: Policy,
    applications: Arc<dyn ApplicationCatalog>,
    audit: Arc<dyn AuditLog>,
}

impl Guard {
    /// Records a change that was made (see [`record_audit`]).
    async fn record(&self, entry: AuditEntry) {
        record_audit(self.audit.as_ref(), entry).await;
    }

    fn entry(&self, action: AuditAction, target: impl Into<String>) -> AuditEntry {
        AuditEntry::now(&self.who.name, action, target)
    }

    /// Whether the principal may see `app` (already read).
    fn may_read(&self, app: &Application) -> bool {
        let resource = (Resource::Application(&app.spec.name), &app.spec.permissions);
        self.policy.refusal(&self.who, resource, Read).is_none()
    }

    fn refused(
        &self,
        resource: Resource,
        permissions: &Permissions,
        what: Authorization,
    ) -> Result<(), AppError> {
        match self
            .policy
            .refusal(&self.who, (resource, permissions), what)
        {
            Some(reason) => {
                tracing::info!(user = %self.who.name, %resource, ?what, "refused: {reason}");
                Err(AppError::Forbidden(reason))
            }
            None => Ok(()),
        }
    }

    /// Refuses unless the principal holds `what` on `application` (see [`check_application`]).
    async fn application(&self, application: &str, what: Authorization) -> Result<(), AppError> {
        let catalog = self.applications.as_ref();
        check_application((&self.policy, &self.who), catalog, application, what).await
    }

    /// Refuses unless the principal holds `what` on `account`.
    fn account(&self, account: &str, what: Authorization) -> Result<(), AppError> {
        match self.policy.account_refusal(&self.who, account, what) {
            Some(reason) => {
                tracing::info!(user = %self.who.name, %account, ?what, "refused: {reason}");
                Err(AppError::Forbidden(reason))
            }
            None => Ok(()),
        }
    }

    fn may_see_account(&self, account: &str) -> bool {
        self.account(account, Read).is_ok()
    }

    /// Keeps the items of applications the principal may see; reads each application once.
    async fn visible<T>(
        &self,
        items: Vec<T>,
        application: impl Fn(&T) -> &str,
    ) -> Result<Vec<T>, AppError> {
        if self.policy.is_admin(&self.who) {
            return Ok(items);
        }
        let mut seen: HashMap<String, bool> = HashMap::new();
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            let name = application(&item).to_string();
            let allowed = match seen.get(&name) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = match self.application(&name, Read).await {
                        Ok(()) => true,
                        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => false,
                        Err(other) => return Err(other),
                    };
                    seen.insert(name, allowed);
                    allowed
                }
            };
            if allowed {
                kept.push(item);
            }
        }
        Ok(kept)
    }

    /// Refuses a pipeline whose triggers newly run as a service user the principal may not
    /// give them (see [`Policy::run_as_refusal`]). Open, anyone may name anyone.
    fn run_as(&self, config: &PipelineConfig) -> Result<(), AppError> {
        if self.who.with == super::model::SignedInWith::Open {
            return Ok(());
        }
        // Every save is checked, not only new names: whoever changes the stages of a pipeline
        // that runs as a service user decides what that user runs.
        for name in run_as_users(config) {
            if let Some(reason) = self.policy.run_as_refusal(&self.who, &name) {
                return Err(AppError::invalid("triggers", reason));
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Checks for Guard {
    /// The audit entries `filter` picks that the principal may see: admins all of them,
    /// others those of the applications they may see, and their own.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
        if let Some(problem) = filter.problem() {
            return Err(AppError::invalid("action", problem));
        }
        if self.policy.is_admin(&self.who) {
            return self.audit.entries(filter, &|_| true).await;
        }
        let readable: std::collections::HashSet<String> = self
            .applications
            .list("", ApplicationSort::default())
            .await?
            .into_iter()
            .filter(|app| self.may_read(app))
            .map(|app| app.spec.name)
            .collect();
        let me = self.who.name.clone();
        let visible = move |entry: &AuditEntry| {
            entry.user == me
                || entry
                    .application
                    .as_ref()
                    .is_some_and(|app| readable.contains(app))
        };
        self.audit.entries(filter, &visible).await
    }

    /// What the principal may do with `application`.
    async fn access(&self, application: &str) -> Result<Access, AppError> {
        if self.policy.is_admin(&self.who) {
            return Ok(Access::default());
        }
        match self.applications.get(application).await {
            Ok(found) => Ok(self
                .policy
                .access(&self.who, application, &found.spec.permissions)),
            // The page says it is not there.
            Err(AppError::NotFound(_)) => Ok(Access::default()),
            Err(error) => Err(error),
        }
    }
}

/// Records `entry`. A change stands when its entry cannot be written (it was made); the
/// failure is logged as an error naming the entry (not its content, which may be a whole
/// configuration) for an operator to act on.
pub async fn record_audit(log: &dyn AuditLog, entry: AuditEntry) {
    let (id, action, target) = (entry.id, entry.action, entry.target.clone());
    if let Err(error) = log.record(entry).await {
        tracing::error!(%id, action = action.as_str(), %target, "the audit log could not record a change: {error}");
    }
}

/// Refuses unless `who` holds `what` on `application` as `catalog` (the backend's, unchecked)
/// stores it. An application that is not stored — never made, or deleted — is refused to all
/// but admins, as not found: Fiat's default for unknown applications, so that a deleted
/// application's history and leftovers, or pipelines made ahead of it, are open to nobody.
pub async fn check_application(
    (policy, who): (&Policy, &Principal),
    catalog: &dyn ApplicationCatalog,
    application: &str,
    what: Authorization,
) -> Result<(), AppError> {
    if policy.is_admin(who) {
        return Ok(());
    }
    let found = catalog
        .get(application)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => {
                AppError::NotFound(format!("There is no application {application}."))
            }
            other => other,
        })?;
    let resource = (Resource::Application(application), &found.spec.permissions);
    match policy.refusal(who, resource, what) {
        Some(reason) => {
            tracing::info!(user = %who.name, %application, ?what, "refused: {reason}");
            Err(AppError::Forbidden(reason))
        }
        None => Ok(()),
    }
}

impl Services {
    /// These services as `who` may use them.
    pub fn acting_as(&self, who: Principal) -> Services {
        let guard = Arc::new(Guard {
            who,
            policy: self.policy.clone(),
            applications: self.applications.clone(),
            audit: self.audit.clone(),
        });
        Services {
            accounts: Arc::new(Guarded(guard.clone(), self.accounts.clone())),
            applications: Arc::new(Guarded(guard.clone(), self.applications.clone())),
            infrastructure: Arc::new(Guarded(guard.clone(), self.infrastructure.clone())),
            tasks: Arc::new(Guarded(guard.clone(), self.tasks.clone())),
            pipelines: Arc::new(Guarded(guard.clone(), self.pipelines.clone())),
            tokens: Arc::new(Guarded(guard.clone(), self.tokens.clone())),
            guard: Some(guard),
            ..self.clone()
        }
    }

    /// The audit entries `filter` picks that the acting principal may see.
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
        match &self.guard {
            Some(guard) => guard.audit_entries(filter).await,
            None => self.audit.entries(filter, &|_| true).await,
        }
    }

    /// What the acting principal may do with `application` (everything outside a request).
    pub async fn access(&self, application: &str) -> Result<Access, AppError> {
        match &self.guard {
            Some(guard) => guard.access(application).await,
            None => Ok(Access::default()),
        }
    }
}

/// A service of the backend, called only after the guard's check.
struct Guarded<S: ?Sized>(Arc<Guard>, Arc<S>);

impl AccountDirectory for Guarded<dyn AccountDirectory> {
    fn kubernetes_accounts(&self) -> Vec<KubernetesAccountSummary> {
        let mut accounts = self.1.kubernetes_accounts();
        accounts.retain(|a| self.0.may_see_account(&a.name));
        accounts
    }
}

#[async_trait::async_trait]
impl ApplicationCatalog for Guarded<dyn ApplicationCatalog> {
    async fn list(&self, query: &str, sort: ApplicationSort) -> Result<Vec<Application>, AppError> {
        let Guarded(guard, inner) = self;
        let mut found = inner.list(query, sort).await?;
        found.retain(|app| guard.may_read(app));
        Ok(found)
    }

    async fn get(&self, name: &str) -> Result<Application, AppError> {
        let found = self.1.get(name).await?;
        let resource = Resource::Application(&found.spec.name);
        self.0.refused(resource, &found.spec.permissions, Read)?;
        Ok(found)
    }

    async fn create(&self, spec: ApplicationSpec, who: &str) -> Result<Application, AppError> {
        let made = self.1.create(spec, who).await?;
        let name = &made.spec.name;
        let entry = self.0.entry(
            AuditAction::ApplicationCreated,
            format!("application {name}"),
        );
        self.0
            .record(entry.of(name).change(None, Some(&made.spec)))
            .await;
        Ok(made)
    }

    async fn update(
        &self,
        name: &str,
        version: u64,
        spec: ApplicationSpec,
        who: &str,
    ) -> Result<Application, AppError> {
        let before = self.1.get(name).await?;
        let resource = Resource::Application(name);
        self.0.refused(resource, &before.spec.permissions, Write)?;
        let after = self.1.update(name, version, spec, who).await?;
        let entry = self.0.entry(
            AuditAction::ApplicationUpdated,
            format!("application {name}"),
        );
        let entry = entry.of(name).detail(format!("version {}", after.version));
        self.0
            .record(entry.change(Some(&before.spec), Some(&after.spec)))
            .await;
        Ok(after)
    }

    async fn delete(
        &self,
        name: &str,
        version: u64,
        confirm: &str,
        who: &str,
    ) -> Result<(), AppError> {
        let before = self.1.get(name).await?;
        let resource = Resource::Application(name);
        self.0.refused(resource, &before.spec.permissions, Write)?;
        self.1.delete(name, version, confirm, who).await?;
        let entry = self.0.entry(
            AuditAction::ApplicationDeleted,
            format!("application {name}"),
        );
        self.0
            .record(entry.of(name).change(Some(&before.spec), None))
            .await;
        Ok(())
    }

    async fn history(&self, name: &str) -> Result<Vec<ApplicationVersion>, AppError> {
        self.0.application(name, Read).await?;
        self.1.history(name).await
    }

    async fn version(&self, name: &str, version: u64) -> Result<ApplicationVersion, AppError> {
        self.0.application(name, Read).await?;
        self.1.version(name, version).await
    }

    async fn restore(
        &self,
        name: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<Application, AppError> {
        // Checked as the application is now; admins may bring back a deleted one.
        self.0.application(name, Write).await?;
        let before = self.1.get(name).await.ok();
        let after = self.1.restore(name, version, expected_version, who).await?;
        let entry = self.0.entry(
            AuditAction::ApplicationRestored,
            format!("application {name}"),
        );
        let entry = entry
            .of(name)
            .detail(format!("version {version} restored as {}", after.version));
        let before = before.map(|b| b.spec);
        self.0
            .record(entry.change(before.as_ref(), Some(&after.spec)))
            .await;
        Ok(after)
    }
}

#[async_trait::async_trait]
impl Infrastructure for Guarded<dyn Infrastructure> {
    async fn clusters(&self, application: &str) -> Result<Vec<ClusterView>, AppError> {
        self.0.application(application, Read).await?;
        let mut found = self.1.clusters(application).await?;
        found.retain(|c| self.0.may_see_account(&c.account));
        Ok(found)
    }

    async fn load_balancers(&self, application: &str) -> Result<Vec<LoadBalancer>, AppError> {
        self.0.application(application, Read).await?;
        let mut found = self.1.load_balancers(application).await?;
        found.retain(|c| self.0.may_see_account(&c.account));
        Ok(found)
    }

    async fn security_groups(&self, application: &str) -> Result<Vec<SecurityGroup>, AppError> {
        self.0.application(application, Read).await?;
        let mut found = self.1.security_groups(application).await?;
        found.retain(|c| self.0.may_see_account(&c.account));
        Ok(found)
    }

    async fn jobs(&self, application: &str) -> Result<Vec<JobView>, AppError> {
        self.0.application(application, Read).await?;
        let mut found = self.1.jobs(application).await?;
        found.retain(|c| self.0.may_see_account(&c.account));
        Ok(found)
    }
}

#[async_trait::async_trait]
impl TaskService for Guarded<dyn TaskService> {
    async fn submit(&self, operation: Operation, who: &str) -> Result<Task, AppError> {
        self.0.application(operation.application(), Execute).await?;
        self.0.account(operation.account(), Write)?;
        let task = self.1.submit(operation, who).await?;
        let entry = self
            .0
            .entry(AuditAction::OperationSubmitted, format!("task {}", task.id));
        self.0
            .record(entry.of(&task.application).detail(&task.description))
            .await;
        Ok(task)
    }

    async fn list(&self, application: Option<&str>, limit: usize) -> Result<Vec<Task>, AppError> {
        let found = self.1.list(application, limit).await?;
        self.0.visible(found, |task| &task.application).await
    }

    async fn get(&self, id: TaskId) -> Result<Task, AppError> {
        let task = self.1.get(id).await?;
        self.0.application(&task.application, Read).await?;
        Ok(task)
    }

    async fn cancel(&self, id: TaskId) -> Result<Task, AppError> {
        let task = self.1.get(id).await?;
        self.0.application(&task.application, Execute).await?;
        let canceled = self.1.cancel(id).await?;
        let entry = self
            .0
            .entry(AuditAction::TaskCanceled, format!("task {id}"));
        self.0
            .record(entry.of(&task.application).detail(&task.description))
            .await;
        Ok(canceled)
    }
}

/// Tokens are the user's own: nothing to check, but making and revoking them is recorded.
#[async_trait::async_trait]
impl TokenService for Guarded<dyn TokenService> {
    async fn list(&self, who: &Principal) -> Result<Vec<super::model::ApiToken>, AppError> {
        self.1.list(who).await
    }

    async fn create(
        &self,
        who: &Principal,
        name: &str,
        days: u32,
    ) -> Result<super::model::NewToken, AppError> {
        let made = self.1.create(who, name, days).await?;
        let target = format!("API token {name} ({})", made.token.id);
        let entry = self.0.entry(AuditAction::TokenCreated, target);
        self.0
            .record(entry.detail(format!("valid for {days} days")))
            .await;
        Ok(made)
    }

    async fn revoke(&self, who: &Principal, id: &str) -> Result<(), AppError> {
        self.1.revoke(who, id).await?;
        let entry = self
            .0
            .entry(AuditAction::TokenRevoked, format!("API token {id}"));
        self.0.record(entry).await;
        Ok(())
    }
}

impl Guarded<dyn PipelineService> {
    /// Refuses unless the principal holds `what` on the application of pipeline `id`.
    async fn pipeline(&self, id: &str, what: Authorization) -> Result<StoredPipeline, AppError> {
        let pipeline = self.1.get(id).await?;
        self.0
            .application(&pipeline.config.application, what)
            .await?;
        Ok(pipeline)
    }

    async fn record_pipeline(
        &self,
        action: AuditAction,
        before: Option<&StoredPipeline>,
        after: &StoredPipeline,
    ) {
        let config = &after.config;
        let entry = self.0.entry(action, pipeline_target(config));
        let entry = entry
            .of(&config.application)
            .detail(format!("version {}", after.version));
        let before = before.map(|stored| &stored.config);
        self.0.record(entry.change(before, Some(config))).await;
    }

    /// Runs `change` (not started until awaited) if the principal may EXECUTE the execution's
    /// application, and records it.
    async fn change_execution(
        &self,
        id: ExecutionId,
        (action, detail): (AuditAction, String),
        change: impl std::future::Future<Output = Result<Execution, AppError>> + Send,
    ) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let changed = change.await?;
        self.record_execution(action, &changed, detail).await;
        Ok(changed)
    }

    async fn record_execution(&self, action: AuditAction, execution: &Execution, detail: String) {
        let target = format!("execution {} of {}", execution.id, execution.name);
        let entry = self.0.entry(action, target).of(&execution.application);
        self.0.record(entry.detail(detail)).await;
    }

    /// Refuses unless the principal holds `what` on the application of execution `id`.
    async fn execution_of(
        &self,
        id: ExecutionId,
        what: Authorization,
    ) -> Result<Execution, AppError> {
        let execution = self.1.execution(id).await?;
        self.0.application(&execution.application, what).await?;
        Ok(execution)
    }
}

#[async_trait::async_trait]
impl PipelineService for Guarded<dyn PipelineService> {
    async fn list(&self, application: &str) -> Result<Vec<StoredPipeline>, AppError> {
        self.0.application(application, Read).await?;
        self.1.list(application).await
    }

    async fn get(&self, id: &str) -> Result<StoredPipeline, AppError> {
        self.pipeline(id, Read).await
    }

    async fn create(&self, config: PipelineConfig, who: &str) -> Result<StoredPipeline, AppError> {
        self.0.application(&config.application, Write).await?;
        self.0.run_as(&config)?;
        let made = self.1.create(config, who).await?;
        self.record_pipeline(AuditAction::PipelineCreated, None, &made)
            .await;
        Ok(made)
    }

    async fn update(
        &self,
        id: &str,
        version: u64,
        config: PipelineConfig,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let stored = self.pipeline(id, Write).await?;
        if stored.config.application != config.application {
            self.0.application(&config.application, Write).await?;
        }
        self.0.run_as(&config)?;
        let after = self.1.update(id, version, config, who).await?;
        self.record_pipeline(AuditAction::PipelineUpdated, Some(&stored), &after)
            .await;
        Ok(after)
    }

    async fn delete(&self, id: &str, version: u64, who: &str) -> Result<(), AppError> {
        let stored = self.pipeline(id, Write).await?;
        self.1.delete(id, version, who).await?;
        let config = &stored.config;
        let entry = self
            .0
            .entry(AuditAction::PipelineDeleted, pipeline_target(config));
        let entry = entry.of(&config.application);
        self.0.record(entry.change(Some(config), None)).await;
        Ok(())
    }

    async fn history(&self, id: &str) -> Result<Vec<PipelineVersion>, AppError> {
        self.pipeline(id, Read).await?;
        self.1.history(id).await
    }

    async fn restore(
        &self,
        id: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let stored = self.pipeline(id, Write).await?;
        // What comes back is checked as a save of it would be.
        let restored = self
            .1
            .history(id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                AppError::NotFound(format!("Pipeline {id} has no version {version}."))
            })?;
        if restored.config.application != stored.config.application {
            self.0
                .application(&restored.config.application, Write)
                .await?;
        }
        self.0.run_as(&restored.config)?;
        let after = self.1.restore(id, version, expected_version, who).await?;
        self.record_pipeline(AuditAction::PipelineRestored, Some(&stored), &after)
            .await;
        Ok(after)
    }

    async fn cron_runs(
        &self,
        expression: &str,
        time_zone: &str,
        trigger_id: &str,
    ) -> Result<Vec<gennaker_core::pipelines::triggers::CronRun>, AppError> {
        self.1.cron_runs(expression, time_zone, trigger_id).await
    }

    async fn watched_repositories(
        &self,
    ) -> Vec<gennaker_core::pipelines::triggers::WatchedRepository> {
        self.1.watched_repositories().await
    }

    async fn deliveries(
        &self,
        id: ExecutionId,
    ) -> Result<Vec<gennaker_core::pipelines::notifications::Delivery>, AppError> {
        self.execution_of(id, Read).await?;
        self.1.deliveries(id).await
    }

    fn notification_channels(&self) -> Vec<gennaker_core::pipelines::notifications::ChannelHealth> {
        self.1.notification_channels()
    }

    fn secret_names(&self) -> Vec<String> {
        self.1.secret_names()
    }

    async fn start(
        &self,
        id: &str,
        request: StartRequest,
        who: &str,
    ) -> Result<Execution, AppError> {
        let stored = self.pipeline(id, Execute).await?;
        // Its stages change what runs in their accounts.
        for account in stored.config.accounts() {
            self.0.account(&account, Write)?;
        }
        let started = self.1.start(id, request, who).await?;
        self.record_execution(AuditAction::ExecutionStarted, &started, String::new())
            .await;
        Ok(started)
    }

    async fn executions(&self, filter: ExecutionFilter) -> Result<Vec<Execution>, AppError> {
        let found = self.1.executions(filter).await?;
        self.0
            .visible(found, |execution| &execution.application)
            .await
    }

    async fn execution(&self, id: ExecutionId) -> Result<Execution, AppError> {
        self.execution_of(id, Read).await
    }

    async fn cancel(
        &self,
        id: ExecutionId,
        reason: Option<String>,
        who: &str,
    ) -> Result<Execution, AppError> {
        let detail = reason.clone().unwrap_or_default();
        let change = self.1.cancel(id, reason, who);
        self.change_execution(id, (AuditAction::ExecutionCanceled, detail), change)
            .await
    }

    async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        let change = self.1.pause(id, who);
        self.change_execution(id, (AuditAction::ExecutionPaused, String::new()), change)
            .await
    }

    async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        let change = self.1.resume(id, who);
        self.change_execution(id, (AuditAction::ExecutionResumed, String::new()), change)
            .await
    }

    async fn restart_stage(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        let detail = format!("stage {stage}");
        let change = self.1.restart_stage(id, stage, who);
        self.change_execution(id, (AuditAction::StageRestarted, detail), change)
            .await
    }

    async fn judge(
        &self,
        id: ExecutionId,
        stage: &str,
        judgment: Judgment,
        who: &Principal,
    ) -> Result<Execution, AppError> {
        let detail = match &judgment.judgment_input {
            Some(input) => format!("stage {stage}: {} ({input})", judgment.judgment_status),
            None => format!("stage {stage}: {}", judgment.judgment_status),
        };
        let change = self.1.judge(id, stage, judgment, who);
        self.change_execution(id, (AuditAction::JudgmentDecided, detail), change)
            .await
    }

    async fn skip_window(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        let detail = format!("stage {stage}");
        let change = self.1.skip_window(id, stage, who);
        self.change_execution(id, (AuditAction::WindowSkipped, detail), change)
            .await
    }

    async fn evaluate(
        &self,
        id: ExecutionId,
        expression: &str,
    ) -> Result<serde_json::Value, AppError> {
        self.execution_of(id, Read).await?;
        self.1.evaluate(id, expression).await
    }
}

/// "pipeline Deploy (9f1c…)".
fn pipeline_target(config: &PipelineConfig) -> String {
    format!("pipeline {} ({})", config.name, config.id)
}

/// The service users a pipeline's triggers run as (`runAsUser`).
fn run_as_users(config: &PipelineConfig) -> Vec<String> {
    config
        .triggers
        .iter()
        .flatten()
        .filter_map(|t| t.extra.get("runAsUser").and_then(|v| v.as_str()))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}
