//! The services as one principal may use them. [`Services::acting_as`] wraps the backend's
//! services so that every call is checked against the application's and the account's
//! permissions (see [`super::permissions`]) before it reaches the backend: the UI's server
//! functions and the JSON API both call through here, so neither can forget a check. Lists
//! leave out what the principal may not see.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::AppError;
use crate::services::{
    AccountDirectory, ApplicationCatalog, AuditLog, Checks, Infrastructure, Services, TaskService,
    TokenService,
};
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::applications::model::{
    Application, ApplicationSort, ApplicationSpec, ApplicationVersion, Permissions,
};
use gennaker_core::audit::model::{AuditAction, AuditEntry, AuditFilter};
use gennaker_core::ids::TaskId;
use gennaker_core::infrastructure::jobs::JobView;
use gennaker_core::infrastructure::load_balancers::{LoadBalancer, SecurityGroup};
use gennaker_core::infrastructure::server_groups::ClusterView;
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::tasks::model::{Operation, Task};

use super::model::Principal;
use super::permissions::{Access, Authorization, Policy, Resource};

use Authorization::{Execute, Read, Write};

mod pipelines;

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
