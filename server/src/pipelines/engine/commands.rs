//! What people do to an execution, applied: each command is a pure rule
//! ([`rules::commands`]) run under the execution's lock and stored, then the I/O it needs —
//! the stages' tasks paused or resumed, a judgment or a skipped window handed to the waiting
//! step, the execution moved on.

use gennaker_app::auth::Principal;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::pipelines::requests::Judgment;
use gennaker_core::time::Timestamp;

use super::PipelineEngine;
use crate::pipelines::error::Error;
use crate::pipelines::rules::commands;

impl PipelineEngine {
    pub async fn cancel(
        &self,
        id: ExecutionId,
        reason: Option<String>,
        who: &str,
    ) -> Result<Execution, Error> {
        let execution = self
            .change(id, |e| {
                Ok(commands::cancel(e, reason, who, Timestamp::now())?)
            })
            .await?;
        tracing::info!(execution.id = %id, "execution canceled by {who}");
        self.poke(id);
        Ok(execution)
    }

    pub async fn pause(&self, id: ExecutionId, who: &str) -> Result<Execution, Error> {
        let execution = self
            .change(id, |e| Ok(commands::pause(e, who, Timestamp::now())?))
            .await?;
        self.hold_running(&execution, Hold::Pause).await;
        Ok(execution)
    }

    pub async fn resume(&self, id: ExecutionId, who: &str) -> Result<Execution, Error> {
        let execution = self
            .change(id, |e| Ok(commands::resume(e, who, Timestamp::now())?))
            .await?;
        self.hold_running(&execution, Hold::Resume).await;
        self.poke(id);
        Ok(execution)
    }

    /// Runs a finished stage again, with every stage downstream of it.
    pub async fn restart_stage(
        &self,
        id: ExecutionId,
        stage_key: &str,
        who: &str,
    ) -> Result<Execution, Error> {
        let execution = self
            .change(id, |e| {
                Ok(commands::restart_stage(
                    e,
                    stage_key,
                    who,
                    Timestamp::now(),
                )?)
            })
            .await?;
        tracing::info!(execution.id = %id, "stage {stage_key} restarted by {who}");
        self.poke(id);
        Ok(execution)
    }

    /// Records a Manual Judgment's decision, then hands it to the waiting step.
    pub async fn judge(
        &self,
        id: ExecutionId,
        stage_key: &str,
        judgment: Judgment,
        principal: &Principal,
    ) -> Result<Execution, Error> {
        let mut decision = String::new();
        let execution = self
            .change(id, |e| {
                decision = commands::judge(e, stage_key, &judgment, principal, Timestamp::now())?;
                Ok(())
            })
            .await?;
        let who = &principal.name;
        tracing::info!(execution.id = %id, "judgment {decision} on {stage_key} by {who}");
        self.hand_in(&execution, stage_key).await;
        Ok(execution)
    }

    /// Ends a stage's wait for its execution window now (Deck's "Skip remaining window").
    pub async fn skip_window(
        &self,
        id: ExecutionId,
        stage_key: &str,
        who: &str,
    ) -> Result<Execution, Error> {
        let execution = self
            .change(id, |e| {
                Ok(commands::skip_window(e, stage_key, who, Timestamp::now())?)
            })
            .await?;
        tracing::info!(execution.id = %id, "{who} skipped the window of {stage_key}");
        self.hand_in(&execution, stage_key).await;
        Ok(execution)
    }

    /// Pauses or resumes the tasks of the running stages; a task that cannot be (it finished
    /// meanwhile) is logged, since the execution's own state is already stored.
    async fn hold_running(&self, execution: &Execution, hold: Hold) {
        for task in Self::running_tasks(execution) {
            let held = match hold {
                Hold::Pause => self.tasks.pause(task).await,
                Hold::Resume => self.tasks.resume(task).await,
            };
            if let Err(error) = held {
                tracing::warn!("{hold:?} of task {task} failed: {error}");
            }
        }
    }
}

/// What [`PipelineEngine::hold_running`] does to the running stages' tasks.
#[derive(Clone, Copy, Debug)]
enum Hold {
    Pause,
    Resume,
}
