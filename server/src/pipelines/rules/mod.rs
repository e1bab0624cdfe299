//! Orca's rules for running a pipeline, with no I/O: which stages may start, what a stage's
//! status is when its task ends, when the execution is finished and with which status, what
//! a restart resets, and whether a new execution waits for others. The engine applies them to
//! the stored execution after every change, so a restarted server decides the same.
//!
//! - A stage starts when every stage it depends on is SUCCEEDED, FAILED_CONTINUE or SKIPPED;
//!   downstream of any other outcome never starts.
//! - A failed stage is TERMINAL (halt the pipeline: running branches are canceled and the
//!   pipeline is TERMINAL), STOPPED (halt the branch; the pipeline succeeds unless a STOPPED
//!   stage asked to fail once the other branches finish) or FAILED_CONTINUE (ignored).
//! - The execution ends when nothing runs and nothing can start: TERMINAL if a stage is,
//!   CANCELED if one is, otherwise SUCCEEDED — or TERMINAL when a STOPPED stage has
//!   `completeOtherBranchesThenFail`.

pub mod commands;

use std::collections::BTreeSet;

use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, StageExecution};
use gennaker_core::pipelines::model::{FailureChoice, PipelineConfig};
use gennaker_core::tasks::model::Status;

pub use commands::Refusal;

/// What the engine does next with an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Nothing until a running stage changes (or the execution is resumed).
    Wait,
    /// These stages may start now (refIds, in the order of `stages[]`).
    Start(Vec<String>),
    /// The execution must stop its running stages (a stage halted the pipeline, or someone
    /// canceled it); it completes once they have stopped.
    CancelRunning,
    /// The execution is over.
    Complete(ExecutionStatus),
}

/// What to do next with `execution`.
pub fn next(execution: &Execution) -> Next {
    if execution.status.is_complete() {
        return Next::Wait;
    }
    let running = execution
        .stages
        .iter()
        .any(|s| s.status == ExecutionStatus::Running);
    let halted = execution
        .stages
        .iter()
        .any(|s| s.status == ExecutionStatus::Terminal);
    if execution.canceled || halted {
        return if running {
            Next::CancelRunning
        } else if execution.canceled && !halted {
            Next::Complete(ExecutionStatus::Canceled)
        } else {
            Next::Complete(ExecutionStatus::Terminal)
        };
    }
    if execution.status == ExecutionStatus::Paused {
        return Next::Wait;
    }
    let ready = ready_stages(execution);
    if !ready.is_empty() {
        return Next::Start(ready);
    }
    if running {
        return Next::Wait;
    }
    Next::Complete(final_status(&execution.stages))
}

/// The stages that have not started and whose upstream stages all let them run.
pub fn ready_stages(execution: &Execution) -> Vec<String> {
    execution
        .stages
        .iter()
        .filter(|s| s.status == ExecutionStatus::NotStarted)
        .filter(|s| {
            s.requisite_stage_ref_ids.iter().all(|r| {
                execution
                    .stage(r)
                    .is_some_and(|upstream| upstream.status.lets_downstream_run())
            })
        })
        .map(|s| s.ref_id.clone())
        .collect()
}

/// The execution's status once nothing runs and nothing can start.
pub fn final_status(stages: &[StageExecution]) -> ExecutionStatus {
    let any = |status: ExecutionStatus| stages.iter().any(|s| s.status == status);
    if any(ExecutionStatus::Terminal) {
        ExecutionStatus::Terminal
    } else if any(ExecutionStatus::Canceled) {
        ExecutionStatus::Canceled
    } else if stages.iter().any(|s| {
        s.status == ExecutionStatus::Stopped
            && s.context
                .get("completeOtherBranchesThenFail")
                .and_then(serde_json::Value::as_bool)
                == Some(true)
    }) {
        ExecutionStatus::Terminal
    } else {
        ExecutionStatus::Succeeded
    }
}

/// A stage's status once its task ended with `task` (Orca's `failureStatus`).
pub fn stage_status(choice: FailureChoice, task: Status) -> ExecutionStatus {
    match task {
        Status::Succeeded => ExecutionStatus::Succeeded,
        Status::Canceled => ExecutionStatus::Canceled,
        Status::NotStarted | Status::Running => ExecutionStatus::Running,
        Status::Failed => match choice {
            FailureChoice::HaltPipeline => ExecutionStatus::Terminal,
            FailureChoice::HaltBranch | FailureChoice::HaltBranchThenFail => {
                ExecutionStatus::Stopped
            }
            FailureChoice::Ignore => ExecutionStatus::FailedContinue,
        },
    }
}

/// The failure choice a stage's context carries (its configuration's flags, as Orca reads
/// them from the context).
pub fn failure_choice(stage: &StageExecution) -> FailureChoice {
    let flag = |key: &str| stage.context.get(key).and_then(serde_json::Value::as_bool);
    FailureChoice::from_flags(
        flag("failPipeline"),
        flag("continuePipeline"),
        flag("completeOtherBranchesThenFail"),
    )
}

/// `ref_id` and every stage downstream of it: what a restart of that stage resets.
pub fn downstream_of(execution: &Execution, ref_id: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::from([ref_id.to_string()]);
    loop {
        let more: Vec<String> = execution
            .stages
            .iter()
            .filter(|s| !found.contains(&s.ref_id))
            .filter(|s| s.requisite_stage_ref_ids.iter().any(|r| found.contains(r)))
            .map(|s| s.ref_id.clone())
            .collect();
        if more.is_empty() {
            return found;
        }
        found.extend(more);
    }
}

/// Whether a new execution of `config` waits, given how many of its executions run now
/// (Orca's `shouldQueue`).
pub fn should_queue(config: &PipelineConfig, running: usize) -> bool {
    if config.limits_concurrency() {
        running > 0
    } else {
        match config.max_concurrent_executions {
            Some(max) if max > 0 => running as i64 >= max,
            _ => false,
        }
    }
}

/// Which waiting executions (oldest first) start when one of the pipeline's executions
/// ends, and which are canceled: with `keepWaitingPipelines` the oldest starts; without it
/// the newest starts and the others are canceled.
pub fn release_waiting<T: Clone>(waiting: &[T], keep_waiting: bool) -> (Option<T>, Vec<T>) {
    match (waiting.first(), waiting.last()) {
        (None, _) | (_, None) => (None, Vec::new()),
        (Some(oldest), _) if keep_waiting => (Some(oldest.clone()), Vec::new()),
        (_, Some(newest)) => (Some(newest.clone()), waiting[..waiting.len() - 1].to_vec()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use gennaker_core::pipelines::execution::initial_context;
    use gennaker_core::pipelines::model::{PipelineConfig, Stage};
    use serde_json::json;

    use super::ExecutionStatus::{
        Canceled, FailedContinue, NotStarted, Running, Skipped, Stopped, Succeeded, Terminal,
    };
    use super::*;

    /// A fork and a join: 1 → (2, 3) → 4, with 3's failure choice given.
    pub(in crate::pipelines) fn diamond(choice: FailureChoice) -> Execution {
        let stage = |ref_id: &str, requisites: &[&str]| {
            let mut stage: Stage = serde_json::from_value(json!({
                "refId": ref_id, "requisiteStageRefIds": requisites, "type": "wait",
                "name": format!("Stage {ref_id}"), "waitTime": 1
            }))
            .unwrap();
            if ref_id == "3" {
                stage.set_failure_choice(choice);
            }
            stage
        };
        let stages = [
            stage("4", &["2", "3"]),
            stage("1", &[]),
            stage("2", &["1"]),
            stage("3", &["1"]),
        ];
        gennaker_core::pipelines::execution::fixture(
            stages
                .iter()
                .map(|s| StageExecution {
                    context: initial_context(s),
                    ..StageExecution::from_config(s, s.ref_id.clone())
                })
                .collect(),
        )
    }

    fn with(mut execution: Execution, statuses: &[(&str, ExecutionStatus)]) -> Execution {
        for (ref_id, status) in statuses {
            execution.stage_mut(ref_id).unwrap().status = *status;
        }
        execution
    }

    fn start(refs: &[&str]) -> Next {
        Next::Start(refs.iter().map(|r| r.to_string()).collect())
    }

    #[test]
    fn the_engine_follows_the_graph_through_a_fork_and_a_join() {
        let e = diamond(FailureChoice::HaltPipeline);
        let table: Vec<(&[(&str, ExecutionStatus)], Next)> = vec![
            (&[], start(&["1"])),
            (&[("1", Running)], Next::Wait),
            (&[("1", Succeeded)], start(&["2", "3"])),
            (
                &[("1", Succeeded), ("2", Succeeded), ("3", Running)],
                Next::Wait,
            ),
            (
                &[("1", Succeeded), ("2", Succeeded), ("3", Succeeded)],
                start(&["4"]),
            ),
            (
                &[("1", Succeeded), ("2", Skipped), ("3", FailedContinue)],
                start(&["4"]),
            ),
            (
                &[
                    ("1", Succeeded),
                    ("2", Succeeded),
                    ("3", Succeeded),
                    ("4", Succeeded),
                ],
                Next::Complete(Succeeded),
            ),
        ];
        for (statuses, expected) in table {
            assert_eq!(next(&with(e.clone(), statuses)), expected, "{statuses:?}");
        }
    }

    #[test]
    fn the_four_failure_choices_decide_the_stage_and_the_pipeline() {
        // (choice, stage status when its task failed, next while 2 still runs, final)
        let table = [
            (
                FailureChoice::HaltPipeline,
                Terminal,
                Next::CancelRunning,
                Terminal,
            ),
            (FailureChoice::HaltBranch, Stopped, Next::Wait, Succeeded),
            (
                FailureChoice::HaltBranchThenFail,
                Stopped,
                Next::Wait,
                Terminal,
            ),
            (FailureChoice::Ignore, FailedContinue, Next::Wait, Succeeded),
        ];
        for (choice, stage_after_failure, while_running, last) in table {
            let e = diamond(choice);
            assert_eq!(failure_choice(e.stage("3").unwrap()), choice);
            let status = stage_status(failure_choice(e.stage("3").unwrap()), Status::Failed);
            assert_eq!(status, stage_after_failure, "{choice:?}");
            let mid = with(
                e.clone(),
                &[("1", Succeeded), ("2", Running), ("3", status)],
            );
            assert_eq!(next(&mid), while_running, "{choice:?} while 2 runs");
            // Branch 2 finishes (or is canceled by a halt).
            let two = if while_running == Next::CancelRunning {
                Canceled
            } else {
                Succeeded
            };
            let end = with(e.clone(), &[("1", Succeeded), ("2", two), ("3", status)]);
            let expected = if choice == FailureChoice::Ignore {
                start(&["4"])
            } else {
                Next::Complete(last)
            };
            assert_eq!(next(&end), expected, "{choice:?} at the end");
            if choice != FailureChoice::Ignore {
                assert_eq!(
                    end.stage("4").unwrap().status,
                    NotStarted,
                    "downstream never starts"
                );
            }
        }
    }

    #[test]
    fn a_cancel_stops_running_stages_then_ends_canceled() {
        let mut e = with(diamond(FailureChoice::HaltPipeline), &[("1", Running)]);
        e.canceled = true;
        assert_eq!(next(&e), Next::CancelRunning);
        let e = with(e, &[("1", Canceled)]);
        assert_eq!(next(&e), Next::Complete(Canceled));
    }

    #[test]
    fn a_paused_execution_starts_nothing() {
        let mut e = with(diamond(FailureChoice::HaltPipeline), &[("1", Succeeded)]);
        e.status = ExecutionStatus::Paused;
        assert_eq!(next(&e), Next::Wait);
    }

    #[test]
    fn a_restart_resets_the_stage_and_everything_downstream() {
        let e = diamond(FailureChoice::HaltPipeline);
        assert_eq!(
            downstream_of(&e, "3"),
            BTreeSet::from(["3".to_string(), "4".to_string()])
        );
        assert_eq!(downstream_of(&e, "1").len(), 4);
    }

    #[test]
    fn concurrency_limits_queue_new_executions() {
        let mut config = PipelineConfig::default();
        assert!(!should_queue(&config, 5));
        config.max_concurrent_executions = Some(2);
        assert!(!should_queue(&config, 1));
        assert!(should_queue(&config, 2));
        config.limit_concurrent = Some(true);
        assert!(should_queue(&config, 1));
        assert!(!should_queue(&config, 0));
        assert_eq!(release_waiting(&[1, 2, 3], true), (Some(1), vec![]));
        assert_eq!(release_waiting(&[1, 2, 3], false), (Some(3), vec![1, 2]));
        assert_eq!(release_waiting::<i32>(&[], false), (None, vec![]));
    }
}
