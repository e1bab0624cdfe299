//! The enabled triggers of every pipeline, read once and again whenever a pipeline is saved,
//! so pollers, the clock and webhook calls look them up without reading the store.

use std::sync::{Arc, RwLock};

use gennaker_app::error::AppError;
use gennaker_core::pipelines::triggers::{self, TriggerSettings};
use tokio::sync::{Notify, broadcast};
use tracing::Instrument;

use crate::events::{Change, EventBus};
use crate::pipelines::configs::Configs;

/// One enabled trigger of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub application: String,
    /// Its place in the pipeline's `triggers`.
    pub index: usize,
    pub settings: TriggerSettings,
    /// Spinnaker's trigger `id`, or the index when it has none.
    pub key: String,
}

#[derive(Default)]
pub struct TriggerIndex {
    watched: RwLock<Arc<Vec<Watched>>>,
    /// Woken after every refresh.
    pub changed: Notify,
}

impl TriggerIndex {
    pub fn all(&self) -> Arc<Vec<Watched>> {
        self.watched
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The enabled triggers of one kind.
    pub fn of<T>(&self, pick: impl Fn(&TriggerSettings) -> Option<&T>) -> Vec<(Watched, T)>
    where
        T: Clone,
    {
        self.all()
            .iter()
            .filter_map(|w| pick(&w.settings).map(|t| (w.clone(), t.clone())))
            .collect()
    }

    pub async fn refresh(&self, configs: &Configs) -> Result<(), AppError> {
        let mut found = Vec::new();
        for stored in configs.all().await? {
            let config = stored.config;
            for (index, settings) in triggers::enabled(&config) {
                // A trigger with a problem of its own (an imported Git trigger with its secret
                // inline, say) does not fire until it is fixed.
                let path = format!("triggers[{index}]");
                if let Some(problem) = stored.problems.iter().find(|p| {
                    p.field
                        .strip_prefix(&path)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                }) {
                    tracing::info!(pipeline.id = %config.id, "{path} does not fire: {}: {}", problem.field, problem.message);
                    continue;
                }
                let key = config
                    .triggers
                    .as_ref()
                    .and_then(|t| t.get(index))
                    .and_then(|t| t.extra.get("id"))
                    .and_then(|id| id.as_str())
                    .filter(|id| !id.is_empty())
                    .map_or_else(|| index.to_string(), str::to_string);
                found.push(Watched {
                    pipeline_id: config.id.clone(),
                    pipeline_name: config.name.clone(),
                    application: config.application.clone(),
                    index,
                    settings,
                    key,
                });
            }
        }
        tracing::debug!(triggers = found.len(), "pipeline triggers read");
        *self.watched.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(found);
        self.changed.notify_waiters();
        Ok(())
    }

    /// Reads the triggers again whenever a pipeline changes.
    pub fn follow(self: &Arc<Self>, configs: Arc<Configs>, events: &EventBus) {
        let mut changes = events.subscribe();
        let index = self.clone();
        tokio::spawn(
            async move {
                loop {
                    match changes.recv().await {
                        Ok(Change::PipelineConfig { .. })
                        | Err(broadcast::error::RecvError::Lagged(_)) => {
                            if let Err(error) = index.refresh(&configs).await {
                                tracing::error!("reading the pipelines' triggers failed: {error}");
                            }
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            }
            .instrument(tracing::info_span!("trigger-index")),
        );
    }
}
