//! Pipelines: their configurations (versioned documents, Spinnaker's JSON) and the engine that
//! runs their executions, every stage as a task on the one runner. [`Pipelines`] is the service
//! the UI's server functions and the JSON API both call.

pub mod configs;
pub mod engine;
pub mod error;
pub mod rules;
pub mod stages;
pub mod store;

use std::sync::Arc;

use gennaker_app::error::AppError;
use gennaker_app::services::{ApplicationCatalog, PipelineService};
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::import::{ImportOptions, Imported, Prepared};
use gennaker_core::pipelines::model::PipelineConfig;
use gennaker_core::pipelines::requests::{
    ExecutionFilter, Judgment, PipelineVersion, StartRequest, StoredPipeline,
};

use configs::Configs;
use engine::PipelineEngine;

pub struct Pipelines {
    pub configs: Arc<Configs>,
    pub engine: Arc<PipelineEngine>,
    pub applications: Arc<dyn ApplicationCatalog>,
    /// Saved pipelines are announced, so every open Pipelines tab shows them at once.
    pub events: crate::events::EventBus,
    pub triggers: Arc<crate::triggers::Triggers>,
    pub notifier: Arc<crate::notifications::Notifier>,
}

impl Pipelines {
    /// The application must exist before it gets a pipeline.
    async fn application_exists(&self, name: &str) -> Result<(), AppError> {
        match self.applications.get(name).await {
            Ok(_) => Ok(()),
            Err(AppError::NotFound(_)) => Err(AppError::invalid(
                "application",
                format!("There is no application {name:?}; create it first."),
            )),
            Err(other) => Err(other),
        }
    }

    /// Tells open pages that a pipeline of `application` changed; passes `result` on.
    fn announce<T>(&self, application: &str, result: Result<T, AppError>) -> Result<T, AppError> {
        if result.is_ok() {
            self.events.publish(crate::events::Change::PipelineConfig {
                application: application.to_string(),
            });
        }
        result
    }
}

#[async_trait::async_trait]
impl PipelineService for Pipelines {
    async fn list(&self, application: &str) -> Result<Vec<StoredPipeline>, AppError> {
        self.configs.list(application).await
    }

    async fn get(&self, id: &str) -> Result<StoredPipeline, AppError> {
        self.configs.get(id).await
    }

    async fn create(&self, config: PipelineConfig, who: &str) -> Result<StoredPipeline, AppError> {
        self.application_exists(&config.application).await?;
        let application = config.application.clone();
        let created = self.configs.create(config, who).await;
        self.announce(&application, created)
    }

    async fn import(
        &self,
        pipelines: Vec<Result<Prepared, String>>,
        options: ImportOptions,
        who: &str,
    ) -> Result<Imported, AppError> {
        self.application_exists(&options.application).await?;
        let report = self.configs.import(pipelines, &options, who).await;
        if options.dry_run {
            report
        } else {
            self.announce(&options.application, report)
        }
    }

    async fn update(
        &self,
        id: &str,
        version: u64,
        config: PipelineConfig,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let application = config.application.clone();
        let updated = self.configs.update(id, version, config, who).await;
        self.announce(&application, updated)
    }

    async fn delete(&self, id: &str, version: u64, who: &str) -> Result<(), AppError> {
        let application = self.configs.delete(id, version, who).await?;
        self.announce(&application, Ok(()))
    }

    async fn history(&self, id: &str) -> Result<Vec<PipelineVersion>, AppError> {
        self.configs.history(id).await
    }

    async fn restore(
        &self,
        id: &str,
        version: u64,
        expected_version: u64,
        who: &str,
    ) -> Result<StoredPipeline, AppError> {
        let restored = self
            .configs
            .restore(id, version, expected_version, who)
            .await?;
        let application = restored.config.application.clone();
        self.announce(&application, Ok(restored))
    }

    async fn cron_runs(
        &self,
        expression: &str,
        time_zone: &str,
        trigger_id: &str,
    ) -> Result<Vec<gennaker_core::pipelines::triggers::CronRun>, AppError> {
        crate::triggers::cron::next_runs(expression, time_zone, trigger_id, 5)
            .map_err(|problem| AppError::invalid("cronExpression", problem))
    }

    async fn watched_repositories(
        &self,
    ) -> Vec<gennaker_core::pipelines::triggers::WatchedRepository> {
        self.triggers.docker.statuses()
    }

    async fn deliveries(
        &self,
        id: ExecutionId,
    ) -> Result<Vec<gennaker_core::pipelines::notifications::Delivery>, AppError> {
        self.notifier.deliveries(id).await
    }

    fn notification_channels(&self) -> Vec<gennaker_core::pipelines::notifications::ChannelHealth> {
        self.notifier.channels()
    }

    fn secret_names(&self) -> Vec<String> {
        self.triggers.secrets.names().map(str::to_string).collect()
    }

    async fn start(
        &self,
        id: &str,
        request: StartRequest,
        who: &str,
    ) -> Result<Execution, AppError> {
        let config = self.configs.get(id).await?.config;
        let trigger = self.triggers.manual(&config, who).await;
        Ok(self
            .engine
            .start(config, request, trigger, None, None)
            .await?)
    }

    async fn executions(&self, filter: ExecutionFilter) -> Result<Vec<Execution>, AppError> {
        Ok(self.engine.list(&filter).await?)
    }

    async fn execution(&self, id: ExecutionId) -> Result<Execution, AppError> {
        Ok(self.engine.get(id).await?)
    }

    async fn cancel(
        &self,
        id: ExecutionId,
        reason: Option<String>,
        who: &str,
    ) -> Result<Execution, AppError> {
        Ok(self.engine.cancel(id, reason, who).await?)
    }

    async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        Ok(self.engine.pause(id, who).await?)
    }

    async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, AppError> {
        Ok(self.engine.resume(id, who).await?)
    }

    async fn restart_stage(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        Ok(self.engine.restart_stage(id, stage, who).await?)
    }

    async fn skip_window(
        &self,
        id: ExecutionId,
        stage: &str,
        who: &str,
    ) -> Result<Execution, AppError> {
        Ok(self.engine.skip_window(id, stage, who).await?)
    }

    async fn judge(
        &self,
        id: ExecutionId,
        stage: &str,
        judgment: Judgment,
        who: &gennaker_app::auth::Principal,
    ) -> Result<Execution, AppError> {
        Ok(self.engine.judge(id, stage, judgment, who).await?)
    }

    async fn evaluate(
        &self,
        id: ExecutionId,
        expression: &str,
    ) -> Result<serde_json::Value, AppError> {
        configs::check_expression(expression)?;
        Ok(self.engine.evaluate(id, expression).await?)
    }
}
