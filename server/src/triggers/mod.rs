//! Triggers: what starts pipelines besides a person (Spinnaker's Igor and Echo). Each kind
//! finds its events its own way — registries polled and their notifications, a clock, webhook
//! calls, other executions ending — and all of them start executions here, through the one
//! engine, with Spinnaker's `trigger` fields on the execution.
//!
//! An event that may be seen twice (a poll after a restart, a clock tick replayed) starts its
//! execution with an id derived from the event, so the second start finds the first execution
//! instead of making another.

pub mod checks;
pub mod cron;
pub mod docker;
pub mod git;
pub mod index;
pub mod jenkins;
pub mod upstream;
pub mod webhook;

use std::sync::Arc;

use gennaker_app::error::AppError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::{Execution, ExecutionTrigger};
use gennaker_core::pipelines::model::{PipelineConfig, Trigger};
use gennaker_core::pipelines::requests::StartRequest;
use gennaker_core::pipelines::triggers::TriggerSettings;
use serde_json::{Map, Value, json};

use crate::config::{Secrets, TriggersConfig};
use crate::pipelines::configs::Configs;
use crate::pipelines::engine::PipelineEngine;
use crate::registries::DockerRegistries;
use crate::store::Backend;
use gennaker_app::auth::guarded::check_application;
use gennaker_core::auth::permissions::{Authorization, Policy};

pub use index::Watched;

/// The user automated executions run as, unless the trigger names one (`runAsUser`).
pub use gennaker_core::auth::model::ANONYMOUS;

pub struct Triggers {
    pub configs: Arc<Configs>,
    pub engine: Arc<PipelineEngine>,
    pub registries: Arc<DockerRegistries>,
    pub jenkins: Arc<crate::jenkins::JenkinsMasters>,
    pub store: Arc<Backend>,
    pub secrets: Secrets,
    pub settings: TriggersConfig,
    pub index: Arc<index::TriggerIndex>,
    /// One look at a repository or a job at a time.
    locks: crate::store::KeyLocks,
    /// The watched repositories and how their last look went.
    pub docker: docker::DockerWatch,
    clock: cron::Clock,
    /// With sign-in on: who triggers run as, and the applications' permissions they need.
    access: Option<(Policy, crate::applications::ApplicationService)>,
}

/// What an event adds to the trigger it fires: Spinnaker's fields for its kind.
pub struct Event {
    /// Set on the execution's `trigger` besides the configured trigger's own fields.
    pub fields: Map<String, Value>,
    /// The pipeline's parameters the event gives (a webhook's `parameters`).
    pub parameters: Map<String, Value>,
    /// The execution's id: derived from the event when it may be seen twice.
    pub id: ExecutionId,
}

impl Triggers {
    pub fn new(
        configs: Arc<Configs>,
        engine: Arc<PipelineEngine>,
        registries: Arc<DockerRegistries>,
        jenkins: Arc<crate::jenkins::JenkinsMasters>,
        store: Arc<Backend>,
        secrets: Secrets,
        // With sign-in on, the policy saying who triggers run as.
        (settings, policy): (TriggersConfig, Option<Policy>),
    ) -> Arc<Triggers> {
        let access = policy.map(|policy| {
            (
                policy,
                crate::applications::ApplicationService::new(store.clone()),
            )
        });
        Arc::new(Triggers {
            access,
            configs,
            engine,
            registries,
            jenkins,
            store,
            locks: crate::store::KeyLocks::default(),
            secrets,
            settings,
            index: Arc::default(),
            docker: docker::DockerWatch::default(),
            clock: cron::Clock::default(),
        })
    }

    /// Reads every pipeline's triggers, then keeps watching: registries, the clock, and
    /// executions that end.
    pub async fn run(self: &Arc<Self>, events: &crate::events::EventBus) {
        if let Err(error) = self.index.refresh(&self.configs).await {
            tracing::error!("reading the pipelines' triggers failed: {error}");
        }
        self.index.follow(self.configs.clone(), events);
        upstream::watch(self);
        docker::watch(self);
        jenkins::watch(self);
        cron::watch(self);
    }

    /// Starts `watched`'s pipeline for `event`, with the pipeline as it is stored now (it may
    /// have been disabled or changed since the index was read).
    pub async fn fire(&self, watched: &Watched, event: Event) -> Result<Execution, AppError> {
        let config = self.configs.get(&watched.pipeline_id).await?.config;
        let Some(trigger) = current_trigger(&config, watched).cloned() else {
            return Err(AppError::Conflict(format!(
                "Pipeline {:?} no longer has this trigger enabled.",
                config.name
            )));
        };
        let mut fields = trigger.extra.clone();
        fields.insert("enabled".into(), json!(true));
        fields.extend(event.fields);
        let run_as = trigger.extra.get("runAsUser").and_then(Value::as_str);
        let user = self.acting(&config, run_as).await?;
        let parameters = known_parameters(&config, event.parameters);
        let execution = self
            .engine
            .start(
                config,
                StartRequest {
                    parameters,
                    ..StartRequest::default()
                },
                ExecutionTrigger {
                    kind: trigger.kind.clone(),
                    user,
                    parameters: Map::new(),
                    extra: fields,
                },
                Some(event.id),
                None,
            )
            .await?;
        tracing::info!(
            execution.id = %execution.id,
            trigger = %trigger.kind,
            "a {} trigger started {}",
            trigger.kind,
            execution.name
        );
        Ok(execution)
    }

    /// Who a trigger of `config` naming `run_as` acts as; refused when sign-in is on and that
    /// user may not run the application's pipelines or change the accounts its stages name.
    async fn acting(
        &self,
        config: &PipelineConfig,
        run_as: Option<&str>,
    ) -> Result<String, AppError> {
        let run_as = run_as.filter(|u| !u.is_empty());
        let Some((policy, applications)) = &self.access else {
            return Ok(run_as.unwrap_or(ANONYMOUS).to_string());
        };
        let who = policy
            .trigger_principal(run_as)
            .map_err(AppError::Forbidden)?;
        let because = |reason: String| {
            AppError::Forbidden(format!(
                "the trigger runs as {}: {reason} Set runAsUser to a service user that may.",
                who.name
            ))
        };
        let application = &config.application;
        check_application(
            (policy, &who),
            applications,
            application,
            Authorization::Execute,
        )
        .await
        .map_err(|error| match error {
            AppError::Forbidden(reason) => because(reason),
            other => other,
        })?;
        for account in config.accounts() {
            if let Some(reason) = policy.account_refusal(&who, &account, Authorization::Write) {
                return Err(because(reason));
            }
        }
        Ok(who.name)
    }

    /// Fires `event` (see [`Triggers::fire`]); false when the engine could not take it now,
    /// so the caller keeps the event to fire again later. Other refusals are final: they are
    /// logged, naming the event as `what`, and count as done.
    pub async fn fire_or_keep(&self, watched: &Watched, event: Event, what: &str) -> bool {
        match self.fire(watched, event).await {
            Ok(_) => true,
            Err(AppError::Unavailable(error)) => {
                tracing::warn!(pipeline = %watched.pipeline_name, "starting on {what} failed, will retry: {error}");
                false
            }
            Err(error) => {
                tracing::warn!(pipeline = %watched.pipeline_name, "{what} started nothing: {error}");
                true
            }
        }
    }

    /// The trigger of a manual start: for a pipeline with a Docker Registry trigger, the
    /// newest tag of its repository that the trigger would start on, so a Deploy whose image
    /// comes from the trigger has one (Deck's manual start offers the same choice).
    pub async fn manual(&self, config: &PipelineConfig, who: &str) -> ExecutionTrigger {
        let mut trigger = ExecutionTrigger {
            kind: "manual".into(),
            user: who.to_string(),
            ..ExecutionTrigger::default()
        };
        let docker = gennaker_core::pipelines::triggers::enabled(config)
            .into_iter()
            .find_map(|(_, settings)| match settings {
                TriggerSettings::Docker(docker) => Some(docker),
                _ => None,
            });
        if let Some(docker) = docker {
            match docker::newest(self, &docker).await {
                Ok(Some(found)) => trigger.extra = found,
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!("the newest tag for a manual start cannot be read: {error}")
                }
            }
        }
        trigger
    }
}

/// The trigger `watched` names in `config` as it is now, if it is still there and enabled.
fn current_trigger<'a>(config: &'a PipelineConfig, watched: &Watched) -> Option<&'a Trigger> {
    let found = gennaker_core::pipelines::triggers::enabled(config)
        .into_iter()
        .find(|(i, settings)| *i == watched.index && *settings == watched.settings)?;
    config.triggers.as_ref()?.get(found.0)
}

/// The event's parameters the pipeline defines; others are left out (an event carries
/// whatever its sender sends).
fn known_parameters(config: &PipelineConfig, given: Map<String, Value>) -> Map<String, Value> {
    let defined: Vec<&str> = config
        .parameter_config
        .iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect();
    given
        .into_iter()
        .filter(|(name, _)| defined.contains(&name.as_str()))
        .map(|(name, value)| match value {
            Value::String(_) => (name, value),
            other => (name, Value::String(other.to_string())),
        })
        .collect()
}

/// A regular expression matched against the whole text, as Java's `String.matches` does
/// (Spinnaker's tag, branch and payload constraints are Java regexes); the editor's previews
/// use the same.
pub use gennaker_core::pipelines::triggers::full_match;

/// What a watcher remembers between looks, as JSON under `key` in the store.
pub async fn load_state<T: serde::de::DeserializeOwned>(
    store: &Backend,
    key: &str,
) -> Result<Option<T>, AppError> {
    let Some(object) = store
        .get(key)
        .await
        .map_err(crate::pipelines::configs::from_store)?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&object.bytes)
        .map(Some)
        .map_err(|e| AppError::Unavailable(format!("the trigger state {key} cannot be read: {e}")))
}

pub async fn save_state<T: serde::Serialize>(
    store: &Backend,
    key: &str,
    value: &T,
) -> Result<(), AppError> {
    let bytes = serde_json::to_vec(value).map_err(|e| {
        AppError::Unavailable(format!("the trigger state {key} cannot be written: {e}"))
    })?;
    store
        .put(key, bytes, crate::store::Precondition::None)
        .await
        .map_err(crate::pipelines::configs::from_store)?;
    Ok(())
}

/// Looks at each watched thing (`(account, repository)`, `(master, job)`) once per
/// `interval`, and at once whenever the triggers change (so a new trigger's first look comes
/// before its first event). `watched` lists them; `look` looks at one.
pub fn every<W, L>(
    triggers: &Arc<Triggers>,
    span: tracing::Span,
    interval: std::time::Duration,
    watched: W,
    look: L,
) where
    W: Fn(&Triggers) -> Vec<(String, String)> + Send + Sync + 'static,
    L: for<'a> Fn(
            &'a Triggers,
            &'a str,
            &'a str,
        ) -> futures::future::BoxFuture<'a, Result<(), AppError>>
        + Send
        + Sync
        + 'static,
{
    use tracing::Instrument;
    let triggers = triggers.clone();
    tokio::spawn(
        async move {
            loop {
                let changed = triggers.index.changed.notified();
                let mut targets = watched(&triggers);
                targets.sort();
                targets.dedup();
                for (owner, name) in targets {
                    if let Err(error) = look(&triggers, &owner, &name).await {
                        tracing::warn!(%owner, %name, "looking at {owner}/{name} failed: {error}");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = changed => {}
                }
            }
        }
        .instrument(span),
    );
}
