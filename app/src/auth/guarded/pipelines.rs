//! The pipeline service as one principal may use it: reading needs READ on the application,
//! saving and importing WRITE (and every `runAsUser` the principal may use), running EXECUTE.

use gennaker_core::audit::model::AuditAction;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::import::{ImportOptions, Imported, Prepared};
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};

use super::super::model::Principal;
use super::super::permissions::Authorization::{self, Execute, Read, Write};
use super::Guarded;
use crate::error::AppError;
use crate::services::PipelineService;

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

    async fn import(
        &self,
        pipelines: Vec<Result<Prepared, String>>,
        options: ImportOptions,
        who: &str,
    ) -> Result<Imported, AppError> {
        self.0.application(&options.application, Write).await?;
        for prepared in pipelines.iter().flatten() {
            self.0.run_as(&prepared.config)?;
        }
        let imported = self.1.import(pipelines, options, who).await?;
        for made in &imported.created {
            self.record_pipeline(AuditAction::PipelineCreated, None, made)
                .await;
        }
        Ok(imported)
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
