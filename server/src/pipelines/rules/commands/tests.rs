use gennaker_app::auth::{Principal, SignedInWith};
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, TaskExecution};
use gennaker_core::pipelines::model::FailureChoice;
use gennaker_core::pipelines::requests::Judgment;
use gennaker_core::pipelines::windows::WINDOW_STEP;
use gennaker_core::time::Timestamp;
use serde_json::json;

use super::*;
use crate::pipelines::rules::tests::diamond;
use ExecutionStatus::{Canceled, NotStarted, Paused, Running, Succeeded, Terminal};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(1_795_699_233_000 + seconds * 1000)
}

fn execution(status: ExecutionStatus) -> Execution {
    Execution {
        status,
        ..diamond(FailureChoice::HaltPipeline)
    }
}

fn is_state_refusal(result: Result<(), Refusal>) -> bool {
    matches!(result, Err(Refusal::State(_)))
}

#[test]
fn cancel_pause_and_resume_are_taken_only_in_the_states_that_allow_them() {
    use ExecutionStatus::*;
    // (status, cancel allowed, pause allowed, resume allowed)
    let table = [
        (NotStarted, true, false, false),
        (Running, true, true, false),
        (Paused, true, false, true),
        (Succeeded, false, false, false),
        (Terminal, false, false, false),
        (Canceled, false, false, false),
        (Stopped, false, false, false),
    ];
    for (status, cancels, pauses, resumes) in table {
        let mut e = execution(status);
        let before = e.clone();
        let canceled = cancel(&mut e, None, "ann", at(0));
        assert_eq!(canceled.is_ok(), cancels, "cancel {status:?}");
        if !cancels {
            assert!(is_state_refusal(canceled));
            assert_eq!(e, before, "a refused cancel changes nothing");
        }
        let mut e = before.clone();
        let paused = pause(&mut e, "ann", at(0));
        assert_eq!(paused.is_ok(), pauses, "pause {status:?}");
        if !pauses {
            assert_eq!(e, before, "a refused pause changes nothing");
        }
        let mut e = before.clone();
        let resumed = resume(&mut e, "ann", at(0));
        assert_eq!(resumed.is_ok(), resumes, "resume {status:?}");
        if !resumes {
            assert_eq!(e, before, "a refused resume changes nothing");
        }
    }
}

#[test]
fn a_waiting_execution_ends_when_canceled_and_a_running_one_is_marked_to_stop() {
    let mut waiting = execution(NotStarted);
    cancel(&mut waiting, Some("  ".into()), "ann", at(5)).unwrap();
    assert_eq!(waiting.status, Canceled);
    assert_eq!(waiting.end_time, Some(at(5)));
    assert_eq!(
        waiting.cancellation_reason, None,
        "a blank reason is no reason"
    );

    let mut running = execution(Running);
    cancel(&mut running, Some("bad build".into()), "ann", at(5)).unwrap();
    assert_eq!(
        running.status, Running,
        "it ends once its stages have stopped"
    );
    assert!(running.canceled);
    assert_eq!(running.canceled_by.as_deref(), Some("ann"));
    assert_eq!(running.cancellation_reason.as_deref(), Some("bad build"));
}

#[test]
fn pauses_add_up() {
    let mut e = execution(Running);
    pause(&mut e, "ann", at(0)).unwrap();
    resume(&mut e, "bob", at(10)).unwrap();
    pause(&mut e, "ann", at(20)).unwrap();
    assert_eq!(e.status, Paused);
    resume(&mut e, "bob", at(25)).unwrap();
    let paused = e.paused.unwrap();
    assert_eq!(paused.paused_ms, 15_000);
    assert_eq!(paused.paused_by.as_deref(), Some("ann"));
    assert_eq!(paused.resumed_by.as_deref(), Some("bob"));
    assert_eq!(paused.resume_time, Some(at(25)));
}

#[test]
fn a_restart_resets_the_stage_and_what_follows_it() {
    // 1 → (2, 3) → 4: 2 failed, the execution ended TERMINAL.
    let mut e = execution(Terminal);
    for (ref_id, status) in [("1", Succeeded), ("2", Terminal), ("3", Succeeded)] {
        let stage = e.stage_mut(ref_id).unwrap();
        stage.status = status;
        stage.end_time = Some(at(3));
    }
    e.stage_mut("2")
        .unwrap()
        .context
        .insert("exception".into(), json!({"details": {"error": "boom"}}));
    e.canceled = true;
    e.end_time = Some(at(4));
    restart_stage(&mut e, "2", "ann", at(9)).unwrap();

    assert_eq!(e.status, Running);
    assert!(!e.canceled && e.end_time.is_none());
    let stage = |r: &str| e.stage(r).unwrap();
    assert_eq!(stage("1").status, Succeeded, "upstream stays as it was");
    assert_eq!(stage("1").attempt, 0);
    assert_eq!(stage("3").status, Succeeded, "a sibling stays as it was");
    for r in ["2", "4"] {
        assert_eq!(stage(r).status, NotStarted, "stage {r}");
        assert_eq!(stage(r).attempt, 1, "stage {r} starts its next attempt");
        assert!(stage(r).end_time.is_none());
    }
    assert_eq!(
        stage("2").context["restartDetails"],
        json!({"restartedBy": "ann", "restartTime": at(9).as_millis(),
               "previousException": {"details": {"error": "boom"}}})
    );
}

#[test]
fn a_restart_is_refused_while_the_stage_or_one_after_it_runs() {
    let mut running = execution(Running);
    running.stage_mut("1").unwrap().status = Running;
    assert!(is_state_refusal(restart_stage(
        &mut running,
        "1",
        "ann",
        at(0)
    )));

    let mut downstream = execution(Running);
    downstream.stage_mut("1").unwrap().status = Succeeded;
    downstream.stage_mut("2").unwrap().status = Running;
    let before = downstream.clone();
    assert!(is_state_refusal(restart_stage(
        &mut downstream,
        "1",
        "ann",
        at(0)
    )));
    assert_eq!(downstream, before);

    assert_eq!(
        restart_stage(&mut downstream, "9", "ann", at(0)),
        Err(Refusal::NoStage("9".into()))
    );
}

fn judging(options: &[&str], roles: &[&str]) -> Execution {
    let mut e = execution(Running);
    let stage = e.stage_mut("2").unwrap();
    stage.kind = "manualJudgment".into();
    stage.status = Running;
    stage.context.insert(
        "judgmentInputs".into(),
        json!(
            options
                .iter()
                .map(|o| json!({"value": o}))
                .collect::<Vec<_>>()
        ),
    );
    stage
        .context
        .insert("selectedStageRoles".into(), json!(roles));
    e
}

fn person(name: &str, roles: &[&str]) -> Principal {
    Principal {
        name: name.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        with: SignedInWith::Password,
    }
}

fn decide(status: &str, input: Option<&str>) -> Judgment {
    Judgment {
        judgment_status: status.into(),
        judgment_input: input.map(str::to_string),
    }
}

/// A judgment's decision, its option, who gives it, and what comes of it: the decision made, or
/// the field (or `forbidden`) it is refused for.
type JudgmentCase = (
    &'static str,
    Option<&'static str>,
    Principal,
    Result<&'static str, &'static str>,
);

#[test]
fn a_judgment_is_recorded_once_by_someone_allowed_with_an_offered_option() {
    let ann = person("ann", &["deployers"]);
    let table: Vec<JudgmentCase> = vec![
        ("Continue", Some("ship"), ann.clone(), Ok("continue")),
        ("stop", None, ann.clone(), Ok("stop")),
        ("continue", None, ann.clone(), Err("judgmentInput")),
        ("continue", Some("other"), ann.clone(), Err("judgmentInput")),
        ("maybe", Some("ship"), ann.clone(), Err("judgmentStatus")),
        (
            "continue",
            Some("ship"),
            person("bob", &["viewers"]),
            Err("forbidden"),
        ),
    ];
    for (status, input, who, expected) in table {
        let mut e = judging(&["ship", "hold"], &["deployers"]);
        let before = e.clone();
        let result = judge(&mut e, "2", &decide(status, input), &who, at(1));
        match (expected, result) {
            (Ok(decision), Ok(made)) => {
                assert_eq!(made, decision);
                let stage = e.stage("2").unwrap();
                assert_eq!(stage.context["judgmentStatus"], json!(decision));
                assert_eq!(stage.context["lastModifiedBy"], json!(who.name));
                assert_eq!(
                    stage.last_modified.as_ref().unwrap().last_modified_time,
                    at(1)
                );
            }
            (Err("forbidden"), Err(Refusal::Forbidden(message))) => {
                assert!(message.contains("deployers"), "{message}");
                assert_eq!(e, before);
            }
            (Err(field), Err(Refusal::Invalid { field: got, .. })) => {
                assert_eq!(got, field, "{status} {input:?}");
                assert_eq!(e, before);
            }
            (expected, got) => panic!("{status} {input:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_decided_or_finished_judgment_or_another_stage_type_is_refused() {
    let ann = person("ann", &[]);
    let mut e = judging(&[], &[]);
    judge(&mut e, "2", &decide("stop", None), &ann, at(1)).unwrap();
    let again = judge(&mut e, "2", &decide("continue", None), &ann, at(2));
    assert!(
        matches!(&again, Err(Refusal::State(m)) if m.starts_with("ann has already decided")),
        "{again:?}"
    );

    let mut ended = judging(&[], &[]);
    ended.stage_mut("2").unwrap().status = Succeeded;
    assert!(matches!(
        judge(&mut ended, "2", &decide("stop", None), &ann, at(1)),
        Err(Refusal::State(_))
    ));

    let mut wait = execution(Running);
    wait.stage_mut("2").unwrap().status = Running;
    assert!(matches!(
        judge(&mut wait, "2", &decide("stop", None), &ann, at(1)),
        Err(Refusal::Invalid { field: "stage", .. })
    ));
}

#[test]
fn a_window_is_skipped_only_while_the_stage_waits_for_it() {
    let waiting_for = |step: &str, status: ExecutionStatus| {
        let mut e = execution(Running);
        let stage = e.stage_mut("2").unwrap();
        stage.status = Running;
        stage.tasks = vec![TaskExecution {
            id: "1".into(),
            name: step.into(),
            status,
            start_time: None,
            end_time: None,
            stage_start: true,
            stage_end: false,
            message: None,
        }];
        e
    };
    let mut e = waiting_for(WINDOW_STEP, Running);
    skip_window(&mut e, "2", "ann", at(3)).unwrap();
    assert_eq!(
        e.stage("2").unwrap().context["skipRemainingWait"],
        json!(true)
    );
    assert_eq!(
        e.stage("2").unwrap().context["lastModifiedBy"],
        json!("ann")
    );

    for (step, status) in [(WINDOW_STEP, Succeeded), ("Wait", Running)] {
        let mut e = waiting_for(step, status);
        assert!(is_state_refusal(skip_window(&mut e, "2", "ann", at(3))));
    }
}
