//! What people do to an execution — cancel, pause, resume, restart a stage, judge, skip a
//! window — as pure changes to it: each checks that the execution's state allows it, then
//! changes it, or refuses with the reason and leaves it as it was. The engine applies them
//! under the execution's lock, stores the result, then does the I/O (tasks to pause, a
//! judgment to hand in).

use gennaker_app::auth::Principal;
use gennaker_core::pipelines::execution::{
    Execution, ExecutionStatus, LastModified, PausedDetails, StageExecution, initial_context,
};
use gennaker_core::pipelines::requests::Judgment;
use gennaker_core::pipelines::windows::WINDOW_STEP;
use gennaker_core::time::Timestamp;
use serde_json::{Map, Value, json};

/// Why a command was refused; the execution is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The execution or the stage is not in a state that allows it.
    #[error("{0}")]
    State(String),
    /// The stage named (by id or refId) is not in the execution.
    #[error("The execution has no stage {0:?}.")]
    NoStage(String),
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The person may not do it.
    #[error("{0}")]
    Forbidden(String),
}

/// Cancels an unfinished execution; one still waiting to start ends at once, a running one
/// once its stages have stopped.
pub fn cancel(
    e: &mut Execution,
    reason: Option<String>,
    who: &str,
    now: Timestamp,
) -> Result<(), Refusal> {
    if e.status.is_complete() {
        return Err(Refusal::State(format!(
            "The execution has already ended ({}).",
            e.status.as_str()
        )));
    }
    e.canceled = true;
    e.canceled_by = Some(who.to_string());
    e.cancellation_reason = reason.filter(|r| !r.trim().is_empty());
    if e.status == ExecutionStatus::NotStarted {
        e.status = ExecutionStatus::Canceled;
        e.end_time = Some(now);
    }
    Ok(())
}

/// Pauses a running execution, keeping the time it was paused before.
pub fn pause(e: &mut Execution, who: &str, now: Timestamp) -> Result<(), Refusal> {
    if e.status != ExecutionStatus::Running {
        return Err(Refusal::State(format!(
            "Only a running execution can be paused (it is {}).",
            e.status.as_str()
        )));
    }
    e.status = ExecutionStatus::Paused;
    let paused_ms = e.paused.as_ref().map_or(0, |p| p.paused_ms);
    e.paused = Some(PausedDetails {
        pause_time: Some(now),
        resume_time: None,
        paused_by: Some(who.to_string()),
        resumed_by: None,
        paused_ms,
    });
    Ok(())
}

/// Resumes a paused execution, adding this pause to the time it spent paused.
pub fn resume(e: &mut Execution, who: &str, now: Timestamp) -> Result<(), Refusal> {
    if e.status != ExecutionStatus::Paused {
        return Err(Refusal::State(format!(
            "Only a paused execution can be resumed (it is {}).",
            e.status.as_str()
        )));
    }
    e.status = ExecutionStatus::Running;
    if let Some(paused) = e.paused.as_mut() {
        let since = paused.pause_time.unwrap_or(now);
        paused.paused_ms += i64::try_from(now.since(since).as_millis()).unwrap_or(0);
        paused.resume_time = Some(now);
        paused.resumed_by = Some(who.to_string());
    }
    Ok(())
}

/// Makes a finished stage and every stage downstream of it not started again (a new attempt
/// each), noting who restarted it and the failure it had; a finished execution runs again.
pub fn restart_stage(
    e: &mut Execution,
    stage_key: &str,
    who: &str,
    now: Timestamp,
) -> Result<(), Refusal> {
    let stage = find_stage(e, stage_key)?.clone();
    if !stage.status.is_complete() {
        return Err(Refusal::State(format!(
            "Stage {:?} is {}; only a finished stage can be restarted.",
            stage.name,
            stage.status.as_str()
        )));
    }
    let reset = super::downstream_of(e, &stage.ref_id);
    if let Some(running) = e
        .stages
        .iter()
        .find(|s| reset.contains(&s.ref_id) && s.status == ExecutionStatus::Running)
    {
        return Err(Refusal::State(format!(
            "Stage {:?}, after {:?}, is still running; wait for it or cancel the execution.",
            running.name, stage.name
        )));
    }
    for s in e.stages.iter_mut().filter(|s| reset.contains(&s.ref_id)) {
        let config = e
            .pipeline_config
            .stage(&s.ref_id)
            .cloned()
            .unwrap_or_default();
        s.status = ExecutionStatus::NotStarted;
        s.start_time = None;
        s.end_time = None;
        s.context = initial_context(&config);
        s.outputs = Map::new();
        s.tasks = Vec::new();
        s.task_ids = Vec::new();
        s.last_modified = None;
        s.attempt += 1;
    }
    if let Some(s) = e.stage_mut(&stage.ref_id) {
        s.context.insert(
            "restartDetails".into(),
            json!({
                "restartedBy": who,
                "restartTime": now.as_millis(),
                "previousException": stage.context.get("exception"),
            }),
        );
    }
    if e.status.is_complete() {
        e.status = ExecutionStatus::Running;
        e.end_time = None;
        e.canceled = false;
        e.canceled_by = None;
        e.cancellation_reason = None;
    }
    Ok(())
}

/// Records a Manual Judgment's decision (`continue` or `stop`, with the option chosen) in its
/// stage: once, by someone the stage's roles allow, while the stage waits. Returns the decision.
pub fn judge(
    e: &mut Execution,
    stage_key: &str,
    judgment: &Judgment,
    principal: &Principal,
    now: Timestamp,
) -> Result<String, Refusal> {
    let decision = judgment.judgment_status.trim().to_ascii_lowercase();
    let stage = find_stage(e, stage_key)?.clone();
    if stage.kind != "manualJudgment" {
        return Err(Refusal::Invalid {
            field: "stage",
            message: format!("Stage {:?} is not a Manual Judgment.", stage.name),
        });
    }
    if stage.context.contains_key("judgmentStatus") {
        let by = stage
            .context
            .get("lastModifiedBy")
            .and_then(Value::as_str)
            .unwrap_or("someone");
        return Err(Refusal::State(format!(
            "{by} has already decided on {:?}.",
            stage.name
        )));
    }
    if stage.status != ExecutionStatus::Running {
        return Err(Refusal::State(format!(
            "Stage {:?} is {}; it is not waiting for a judgment.",
            stage.name,
            stage.status.label().to_lowercase()
        )));
    }
    if let Some(refusal) = principal.judgment_refusal(&stage.judgment_roles()) {
        return Err(Refusal::Forbidden(refusal));
    }
    if decision != "continue" && decision != "stop" {
        return Err(Refusal::Invalid {
            field: "judgmentStatus",
            message: "The judgment is continue or stop.".into(),
        });
    }
    let options = stage.judgment_options();
    let input = judgment.judgment_input.clone().filter(|i| !i.is_empty());
    let chose_well = match &input {
        Some(chosen) => options.is_empty() || options.contains(chosen),
        None => decision != "continue" || options.is_empty(),
    };
    if !chose_well {
        return Err(Refusal::Invalid {
            field: "judgmentInput",
            message: format!("Choose one of: {}.", options.join(", ")),
        });
    }
    if let Some(s) = e.stage_mut(&stage.ref_id) {
        s.context.insert("judgmentStatus".into(), json!(decision));
        if let Some(input) = &input {
            s.context.insert("judgmentInput".into(), json!(input));
        }
        modified_by(s, &principal.name, now);
    }
    Ok(decision)
}

/// Ends a stage's wait for its execution window now (Deck's "Skip remaining window").
pub fn skip_window(
    e: &mut Execution,
    stage_key: &str,
    who: &str,
    now: Timestamp,
) -> Result<(), Refusal> {
    let stage = find_stage(e, stage_key)?.clone();
    let waiting = stage.status == ExecutionStatus::Running
        && stage
            .tasks
            .first()
            .is_some_and(|t| t.name == WINDOW_STEP && t.status == ExecutionStatus::Running);
    if !waiting {
        return Err(Refusal::State(format!(
            "Stage {:?} is not waiting for its execution window.",
            stage.name
        )));
    }
    if let Some(s) = e.stage_mut(&stage.ref_id) {
        s.context.insert("skipRemainingWait".into(), json!(true));
        modified_by(s, who, now);
    }
    Ok(())
}

/// A stage of `execution` by its id or refId.
pub fn find_stage<'e>(execution: &'e Execution, key: &str) -> Result<&'e StageExecution, Refusal> {
    execution
        .stages
        .iter()
        .find(|s| s.id == key || s.ref_id == key)
        .ok_or_else(|| Refusal::NoStage(key.to_string()))
}

/// Who last changed the stage by hand: Orca's `lastModified` and deprecated `lastModifiedBy`.
fn modified_by(stage: &mut StageExecution, who: &str, at: Timestamp) {
    stage.context.insert("lastModifiedBy".into(), json!(who));
    stage.last_modified = Some(LastModified {
        user: who.to_string(),
        last_modified_time: at,
    });
}

#[cfg(test)]
mod tests;
