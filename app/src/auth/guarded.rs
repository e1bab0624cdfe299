//! The services as one principal may use them. [`Services::acting_as`] wraps the backend's
//! services so that every call is checked against the application's and the account's
//! permissions (see [`super::permissions`]) before it reaches the backend: the UI's server
//! functions and the JSON API both call through here, so neither can forget a check. Lists
//! leave out what the principal may not see.

use std::collections::HashMap;
use std::sync::Arc;

use crate::accounts::KubernetesAccountSummary;
use crate::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion, Permissions,
};
use crate::audit::{AuditAction, AuditEntry, AuditFilter};
use crate::error::AppError;
use crate::ids::{ExecutionId, TaskId};
use crate::infrastructure::jobs::JobView;
use crate::infrastructure::load_balancers::{LoadBalancer, SecurityGroup};
use crate::infrastructure::server_groups::ClusterView;
use crate::pipelines::execution::Execution;
use crate::pipelines::model::PipelineConfig;
use crate::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};
use crate::services::{
    AccountDirectory, ApplicationCatalog, AuditLog, Infrastructure, PipelineService, Services,
    TaskService, TokenService,
};
use crate::tasks::model::{Operation, Task};

use super::model::Principal;
use super::permissions::{Access, Authorization, Policy, Resource};

use Authorization::{Execute, Read, Write};

/// One principal's checks, shared by the wrapped services of one request.
pub struct Guard {
    who: Principal,
    policy: Policy,
    applications: Arc<dyn ApplicationCatalog>,
    accounts: Arc<dyn AccountDirectory>,
    audit: Arc<dyn AuditLog>,
}

impl Guard {
    /// Records a change that was made. The change stands if the log cannot be written; the
    /// failure is logged as an error (with the entry) for an operator to act on.
    async fn record(&self, entry: AuditEntry) {
        if let Err(error) = self.audit.record(entry.clone()).await {
            tracing::error!(?entry, "the audit log could not record a change: {error}");
        }
    }

    fn entry(&self, action: AuditAction, target: impl Into<String>) -> AuditEntry {
        AuditEntry::now(&self.who.name, action, target)
    }

    /// The audit entries `filter` picks that the principal may see: admins all of them,
    /// others those of the applications they may see, and their own.
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
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
            .filter(|app| {
                let resource = (Resource::Application(&app.spec.name), &app.spec.permissions);
                self.policy.refusal(&self.who, resource, Read).is_none()
            })
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

    /// The application's permissions; none (everyone) for an application that is not stored,
    /// whose calls then answer "not found" themselves.
    async fn permissions(&self, application: &str) -> Result<Permissions, AppError> {
        match self.applications.get(application).await {
            Ok(found) => Ok(found.spec.permissions),
            Err(AppError::NotFound(_)) => Ok(Permissions::default()),
            Err(error) => Err(error),
        }
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

    /// Refuses unless the principal holds `what` on `application`.
    async fn application(&self, application: &str, what: Authorization) -> Result<(), AppError> {
        if self.policy.is_admin(&self.who) {
            return Ok(());
        }
        let permissions = self.permissions(application).await?;
        self.refused(Resource::Application(application), &permissions, what)
    }

    fn account_permissions(&self, account: &str) -> Permissions {
        self.accounts
            .kubernetes_accounts()
            .into_iter()
            .find(|a| a.name == account)
            .map(|a| a.permissions)
            .unwrap_or_default()
    }

    /// Refuses unless the principal holds `what` on `account`.
    fn account(&self, account: &str, what: Authorization) -> Result<(), AppError> {
        self.refused(
            Resource::Account(account),
            &self.account_permissions(account),
            what,
        )
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
                    let permissions = self.permissions(&name).await?;
                    let allowed = self
                        .policy
                        .refusal(
                            &self.who,
                            (Resource::Application(&name), &permissions),
                            Read,
                        )
                        .is_none();
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
    fn run_as(
        &self,
        before: Option<&PipelineConfig>,
        config: &PipelineConfig,
    ) -> Result<(), AppError> {
        if self.who.with == super::model::SignedInWith::Open {
            return Ok(());
        }
        let before = before.map(run_as_users).unwrap_or_default();
        for name in run_as_users(config) {
            if before.contains(&name) {
                continue;
            }
            if let Some(reason) = self.policy.run_as_refusal(&self.who, &name) {
                return Err(AppError::invalid("triggers", reason));
            }
        }
        Ok(())
    }

    /// What the principal may do with `application`.
    pub async fn access(&self, application: &str) -> Result<Access, AppError> {
        let permissions = self.permissions(application).await?;
        Ok(self.policy.access(&self.who, application, &permissions))
    }
}

impl Services {
    /// These services as `who` may use them.
    pub fn acting_as(&self, who: Principal) -> Services {
        let guard = Arc::new(Guard {
            who,
            policy: self.policy.clone(),
            applications: self.applications.clone(),
            accounts: self.accounts.clone(),
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
        found.retain(|app| {
            let resource = (Resource::Application(&app.spec.name), &app.spec.permissions);
            guard.policy.refusal(&guard.who, resource, Read).is_none()
        });
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
        let before = self.1.get(name).await?;
        let resource = Resource::Application(name);
        self.0.refused(resource, &before.spec.permissions, Write)?;
        let after = self.1.restore(name, version, expected_version, who).await?;
        let entry = self.0.entry(
            AuditAction::ApplicationRestored,
            format!("application {name}"),
        );
        let entry = entry
            .of(name)
            .detail(format!("version {version} restored as {}", after.version));
        self.0
            .record(entry.change(Some(&before.spec), Some(&after.spec)))
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
        self.0.run_as(None, &config)?;
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
        self.0.run_as(Some(&stored.config), &config)?;
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
    ) -> Result<Vec<crate::pipelines::triggers::CronRun>, AppError> {
        self.1.cron_runs(expression, time_zone, trigger_id).await
    }

    async fn watched_repositories(&self) -> Vec<crate::pipelines::triggers::WatchedRepository> {
        self.1.watched_repositories().await
    }

    async fn deliveries(
        &self,
        id: ExecutionId,
    ) -> Result<Vec<crate::pipelines::notifications::Delivery>, AppError> {
        self.execution_of(id, Read).await?;
        self.1.deliveries(id).await
    }

    fn notification_channels(&self) -> Vec<crate::pipelines::notifications::ChannelHealth> {
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
        self.pipeline(id, Execute).await?;
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
        self.execution_of(id, Execute).await?;
        let detail = reason.clone().unwrap_or_default();
        let canceled = self.1.cancel(id, reason, who).await?;
        self.record_execution(AuditAction::ExecutionCanceled, &canceled, detail)
            .await;
        Ok(canceled)
    }

    async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let paused = self.1.pause(id, who).await?;
        self.record_execution(AuditAction::ExecutionPaused, &paused, String::new())
            .await;
        Ok(paused)
    }

    async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let resumed = self.1.resume(id, who).await?;
        self.record_execution(AuditAction::ExecutionResumed, &resumed, String::new())
            .await;
        Ok(resumed)
    }

    async fn restart_stage(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let restarted = self.1.restart_stage(id, stage, who).await?;
        let detail = format!("stage {stage}");
        self.record_execution(AuditAction::StageRestarted, &restarted, detail)
            .await;
        Ok(restarted)
    }

    async fn judge(
        &self,
        id: ExecutionId,
        stage: &str,
        judgment: Judgment,
        who: &Principal,
    ) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let detail = match &judgment.judgment_input {
            Some(input) => format!("stage {stage}: {} ({input})", judgment.judgment_status),
            None => format!("stage {stage}: {}", judgment.judgment_status),
        };
        let judged = self.1.judge(id, stage, judgment, who).await?;
        self.record_execution(AuditAction::JudgmentDecided, &judged, detail)
            .await;
        Ok(judged)
    }

    async fn skip_window(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        self.execution_of(id, Execute).await?;
        let skipped = self.1.skip_window(id, stage, who).await?;
        let detail = format!("stage {stage}");
        self.record_execution(AuditAction::WindowSkipped, &skipped, detail)
            .await;
        Ok(skipped)
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
