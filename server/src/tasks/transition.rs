//! The runner's rules, with no I/O: from a stored task and the time, what happens next
//! ([`decide`]), and how a task changes when a step starts, reports, fails, times out or is
//! canceled. The runner (`super::TaskEngine`) stores every change before it acts on the next
//! decision, so these rules decide what a restarted server does too. Tested by replaying
//! recorded step outcomes and checking every state a task passes through.

use std::time::Duration;

use gennaker_core::tasks::model::{Status, Task, Waiting};
use gennaker_core::tasks::policy::Timeout;
use gennaker_core::time::Timestamp;

use super::outcome::{Outcome, StepError};

/// The runner's settings that shape a task's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long a step that waits for the cluster (Pods Ready, traffic, deletion) may take
    /// unless it names its own timeout.
    pub wait_timeout: Duration,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            wait_timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// What the runner does next with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The task has ended; nothing to do.
    Finished,
    /// Every step succeeded: the task succeeds.
    Complete,
    /// Someone asked to cancel: the task and its unfinished steps are canceled.
    Cancel,
    /// Step `0` starts: its start and deadline are stored.
    Start(usize),
    /// Step `0` runs now.
    Run(usize),
    /// Step `0` is running without the deadline it should have (it was stored by an earlier
    /// version): its deadline is set from its start.
    SetDeadline(usize),
    /// Step `index` has nothing to do before `until` (the end of a Wait, the next retry, or
    /// its deadline, whichever is first).
    Sleep { index: usize, until: Timestamp },
    /// Step `index` waits for input, until `deadline` if it has one.
    Park {
        index: usize,
        deadline: Option<Timestamp>,
    },
    /// Step `0` passed its deadline, or the task its own: it fails.
    TimeOut(usize),
    /// The task is paused: nothing runs until it is resumed (or canceled).
    Paused,
}

/// What to do with `task` at `now`.
pub fn decide(task: &Task, now: Timestamp) -> Decision {
    if task.status.is_finished() {
        return Decision::Finished;
    }
    if task.cancel_requested {
        return Decision::Cancel;
    }
    if task.paused_at.is_some() {
        return Decision::Paused;
    }
    let Some(index) = task.current_step() else {
        return Decision::Complete;
    };
    let step = &task.steps[index];
    if step.action.policy().counts_toward_stage
        && task.deadline.is_some_and(|deadline| now >= deadline)
    {
        return Decision::TimeOut(index);
    }
    if step.status == Status::NotStarted {
        return Decision::Start(index);
    }
    if step.deadline.is_none()
        && (step.timeout_ms.is_some() || (step.action.policy().timeout == Timeout::RunnerWait))
    {
        return Decision::SetDeadline(index);
    }
    if step.deadline.is_some_and(|deadline| now >= deadline) {
        return Decision::TimeOut(index);
    }
    match &step.waiting {
        None => Decision::Run(index),
        // Input that arrived (a decision, a skipped window) is read at once.
        Some(_) if step.input.is_some() => Decision::Run(index),
        Some(Waiting::Input) => Decision::Park {
            index,
            deadline: step.deadline,
        },
        Some(waiting) => match waiting.until() {
            Some(until) if now < until => Decision::Sleep {
                index,
                until: step.deadline.map_or(until, |deadline| deadline.min(until)),
            },
            _ => Decision::Run(index),
        },
    }
}

/// Step `index` starts at `now`; its deadline is fixed here, once.
pub fn start(task: &mut Task, index: usize, now: Timestamp, rules: Rules) {
    let step = &mut task.steps[index];
    step.status = Status::Running;
    step.started_at = Some(now);
    set_deadline(task, index, now, rules);
}

/// Fixes step `index`'s deadline from its start (or `now`, if it has none): its own timeout,
/// or the runner's wait timeout for a step that waits; none otherwise.
pub fn set_deadline(task: &mut Task, index: usize, now: Timestamp, rules: Rules) {
    let step = &mut task.steps[index];
    let timeout = step.timeout_ms.map(Duration::from_millis).or_else(|| {
        (step.action.policy().timeout == Timeout::RunnerWait).then_some(rules.wait_timeout)
    });
    step.deadline = timeout.map(|timeout| step.started_at.unwrap_or(now).plus(timeout));
}

/// Records how one run of step `index` ended; the last step's success is the task's.
pub fn record(task: &mut Task, index: usize, result: &Result<Outcome, StepError>, now: Timestamp) {
    if matches!(result, Ok(Outcome::Done { .. }))
        && !task.steps[index].action.policy().counts_toward_stage
    {
        // The stage's own time starts once its window opens.
        let waited = now.since(task.steps[index].started_at.unwrap_or(now));
        task.deadline = task.deadline.map(|d| d.plus(waited));
    }
    let step = &mut task.steps[index];
    match result {
        Ok(Outcome::Done { message, outputs }) => {
            step.status = Status::Succeeded;
            step.ended_at = Some(now);
            step.waiting = None;
            step.message = Some(message.clone());
            task.outputs
                .extend(outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
            // The last step's end is the task's: one write, not two.
            if task.current_step().is_none() {
                complete(task, now);
            }
        }
        Ok(Outcome::Pending { message }) => {
            step.waiting = None;
            step.message = Some(message.clone());
        }
        Ok(Outcome::WaitUntil { until, message }) => {
            step.waiting = Some(Waiting::Until { until: *until });
            step.message = Some(message.clone());
        }
        Ok(Outcome::AwaitInput { message }) => {
            step.waiting = Some(Waiting::Input);
            step.message = Some(message.clone());
        }
        Err(error) if error.is_retryable() && step.failed_attempts + 1 < step.max_attempts => {
            step.failed_attempts += 1;
            let pause = step.action.policy().retry.pause(step.failed_attempts);
            step.message = Some(format!(
                "attempt {} of {} failed: {error}; trying again in {} s",
                step.failed_attempts,
                step.max_attempts,
                pause.as_secs()
            ));
            step.waiting = Some(Waiting::Retry {
                until: now.plus(pause),
                error: error.to_string(),
            });
        }
        Err(error) => {
            let message = if error.is_retryable() {
                step.failed_attempts += 1;
                format!("{error} (gave up after {} attempts)", step.failed_attempts)
            } else {
                error.to_string()
            };
            fail(task, index, message, now);
        }
    }
}

/// Step `index` passed its deadline at `now`, or the task its own.
pub fn time_out(task: &mut Task, index: usize, now: Timestamp) {
    if let Some(deadline) = task.deadline.filter(|&d| now >= d) {
        let message = format!(
            "the stage timed out after {}",
            human(deadline.since(task.created_at))
        );
        fail(task, index, message, now);
        return;
    }
    let step = &task.steps[index];
    let waited = step
        .started_at
        .zip(step.deadline)
        .map(|(started, deadline)| deadline.since(started))
        .unwrap_or_default();
    let last = step
        .message
        .as_deref()
        .map(|m| format!(" (last: {m})"))
        .unwrap_or_default();
    let message = format!("timed out after {}{last}", human(waited));
    fail(task, index, message, now);
}

/// Step `index` and with it the task fail with `message`.
fn fail(task: &mut Task, index: usize, message: String, now: Timestamp) {
    let step = &mut task.steps[index];
    step.status = Status::Failed;
    step.ended_at = Some(now);
    step.waiting = None;
    task.error = Some(format!("{}: {message}", step.label));
    step.message = Some(message);
    task.status = Status::Failed;
    task.ended_at = Some(now);
}

/// The task stops: unfinished steps are canceled (a running one ends now).
pub fn cancel(task: &mut Task, now: Timestamp) {
    for step in task.steps.iter_mut().filter(|s| !s.status.is_finished()) {
        if step.status == Status::Running {
            step.ended_at = Some(now);
        }
        step.status = Status::Canceled;
        step.waiting = None;
    }
    task.status = Status::Canceled;
    task.ended_at = Some(now);
}

/// The task pauses: the running step stops where it is until [`resume`].
pub fn pause(task: &mut Task, now: Timestamp) {
    task.paused_at.get_or_insert(now);
}

/// The task goes on; the paused time does not count toward its deadlines.
pub fn resume(task: &mut Task, now: Timestamp) {
    let Some(paused_at) = task.paused_at.take() else {
        return;
    };
    let paused = now.since(paused_at);
    task.deadline = task.deadline.map(|d| d.plus(paused));
    if let Some(index) = task.current_step() {
        let step = &mut task.steps[index];
        step.deadline = step.deadline.map(|d| d.plus(paused));
    }
}

/// Every step succeeded.
pub fn complete(task: &mut Task, now: Timestamp) {
    task.status = Status::Succeeded;
    task.ended_at = Some(now);
}

/// "90 s", "15 min", "2 h 5 min".
fn human(duration: Duration) -> String {
    // To the nearest second, so that 7.996 s reads 8 s.
    let seconds = u64::try_from((duration.as_millis() + 500) / 1000).unwrap_or(u64::MAX);
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use gennaker_core::infrastructure::server_groups::ObjectRef;
    use gennaker_core::tasks::model::{ManifestRef, Operation, Outputs, Step, StepAction, Target};
    use serde_json::json;

    use super::*;
    use crate::kubernetes;
    use gennaker_core::tasks::policy::RetryPolicy;

    const T0: i64 = 1_795_699_233_000;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_millis(T0 + seconds * 1000)
    }

    fn target() -> Target {
        Target::Named {
            server_group: ObjectRef {
                account: "local".into(),
                namespace: "default".into(),
                name: "web-v001".into(),
            },
        }
    }

    /// A resize: "set replicas" (calls the cluster) then "wait for healthy" (waits).
    fn resize_task() -> Task {
        let server_group = ObjectRef {
            account: "local".into(),
            namespace: "default".into(),
            name: "web-v001".into(),
        };
        let steps = vec![
            Step::new(
                "Set replicas",
                StepAction::SetReplicas {
                    target: target(),
                    replicas: 3,
                },
            ),
            Step::new(
                "Wait for 3/3 Pods to be Ready",
                StepAction::WaitForHealthy {
                    target: target(),
                    replicas: Some(3),
                },
            ),
        ];
        let operation = Operation::ResizeServerGroup {
            application: "web".into(),
            server_group,
            replicas: 3,
        };
        Task {
            created_by: "anonymous".into(),
            ..gennaker_core::tasks::model::fixture(operation, steps, at(0), "resize")
        }
    }

    fn rules() -> Rules {
        Rules {
            wait_timeout: Duration::from_secs(900),
        }
    }

    fn cluster_error(code: u16, reason: &str, message: &str) -> StepError {
        let status = kube::core::Status::failure(message, reason).with_code(code);
        StepError::Kubernetes(kubernetes::Error::api(
            "resizing web-v001",
            kube::Error::Api(status.boxed()),
        ))
    }

    /// One thing that happens to a task, as the runner would make it happen.
    enum Event {
        Started(usize),
        Reported(usize, Result<Outcome, StepError>),
        CancelAsked,
        Canceled,
        Input(usize, serde_json::Value),
    }

    /// Applies `events` one by one at the given times and returns the decision after each.
    fn replay(task: &mut Task, events: Vec<(i64, Event)>) -> Vec<Decision> {
        events
            .into_iter()
            .map(|(second, event)| {
                let now = at(second);
                match event {
                    Event::Started(i) => start(task, i, now, rules()),
                    Event::Reported(i, result) => record(task, i, &result, now),
                    Event::CancelAsked => task.cancel_requested = true,
                    Event::Canceled => cancel(task, now),
                    Event::Input(i, value) => task.steps[i].input = Some(value),
                }
                decide(task, now)
            })
            .collect()
    }

    #[test]
    fn a_task_runs_its_steps_in_order_and_succeeds() {
        let mut task = resize_task();
        assert_eq!(decide(&task, at(0)), Decision::Start(0));
        let decisions = replay(
            &mut task,
            vec![
                (0, Event::Started(0)),
                (1, Event::Reported(0, Ok(Outcome::done("asks for 3")))),
                (1, Event::Started(1)),
                (2, Event::Reported(1, Ok(Outcome::pending("1 of 3 Ready")))),
                (5, Event::Reported(1, Ok(Outcome::pending("2 of 3 Ready")))),
                (9, Event::Reported(1, Ok(Outcome::done("3 of 3 Ready")))),
            ],
        );
        assert_eq!(
            decisions,
            vec![
                Decision::Run(0),
                Decision::Start(1),
                Decision::Run(1),
                Decision::Run(1),
                Decision::Run(1),
                Decision::Finished,
            ]
        );
        assert_eq!(task.status, Status::Succeeded);
        assert_eq!(task.ended_at, Some(at(9)));
        assert_eq!(
            task.steps[0].deadline, None,
            "a cluster call has no deadline"
        );
        assert_eq!(task.steps[1].started_at, Some(at(1)));
        assert_eq!(task.steps[1].deadline, Some(at(901)));
        assert_eq!(task.steps[1].message.as_deref(), Some("3 of 3 Ready"));
    }

    #[test]
    fn durations_read_to_the_nearest_second() {
        assert_eq!(human(Duration::from_millis(7_996)), "8 s");
        assert_eq!(human(Duration::from_millis(8_400)), "8 s");
        assert_eq!(human(Duration::from_secs(900)), "15 min");
        assert_eq!(human(Duration::from_secs(7_500)), "2 h 5 min");
    }

    #[test]
    fn a_stale_write_is_retried_with_growing_pauses_then_given_up() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        let conflict = || {
            Err(cluster_error(
                409,
                "Conflict",
                "the object has been modified",
            ))
        };
        let mut now = 0;
        for attempt in 1..task.steps[0].max_attempts {
            record(&mut task, 0, &conflict(), at(now));
            let pause = RetryPolicy::CALLS.pause(attempt).as_secs() as i64;
            assert_eq!(
                task.steps[0].waiting,
                Some(Waiting::Retry {
                    until: at(now + pause),
                    error: "resizing web-v001: the cluster refused: the object has been modified"
                        .into()
                })
            );
            assert_eq!(task.steps[0].failed_attempts, attempt);
            assert_eq!(task.status, Status::Running);
            assert_eq!(
                decide(&task, at(now + pause - 1)),
                Decision::Sleep {
                    index: 0,
                    until: at(now + pause)
                }
            );
            now += pause;
            assert_eq!(decide(&task, at(now)), Decision::Run(0));
        }
        assert_eq!(now, 2 + 4 + 8 + 16 + 30);
        record(&mut task, 0, &conflict(), at(now));
        assert_eq!(task.status, Status::Failed);
        assert_eq!(
            task.error.as_deref(),
            Some(
                "Set replicas: resizing web-v001: the cluster refused: the object has been modified (gave up after 6 attempts)"
            )
        );
        assert_eq!(decide(&task, at(now)), Decision::Finished);
    }

    #[test]
    fn a_refused_request_fails_at_once_with_the_clusters_words() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        let refused = Err(cluster_error(
            422,
            "Invalid",
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ));
        record(&mut task, 0, &refused, at(1));
        assert_eq!(task.status, Status::Failed);
        assert_eq!(task.steps[0].status, Status::Failed);
        assert_eq!(task.steps[0].failed_attempts, 0);
        assert_eq!(task.steps[1].status, Status::NotStarted);
        assert_eq!(
            task.steps[0].message.as_deref(),
            Some(
                "resizing web-v001: the cluster refused: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
            )
        );
    }

    #[test]
    fn a_waiting_step_keeps_the_deadline_it_started_with() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        record(&mut task, 0, &Ok(Outcome::done("asks for 3")), at(0));
        start(&mut task, 1, at(0), rules());
        record(&mut task, 1, &Ok(Outcome::pending("0 of 3 Ready")), at(1));
        // The server restarts 10 minutes in: the stored task decides as before.
        let stored: Task = serde_json::from_value(json!(task)).unwrap();
        assert_eq!(stored.steps[1].deadline, Some(at(900)));
        assert_eq!(decide(&stored, at(600)), Decision::Run(1));
        assert_eq!(decide(&stored, at(900)), Decision::TimeOut(1));
        let mut stored = stored;
        time_out(&mut stored, 1, at(900));
        assert_eq!(stored.status, Status::Failed);
        assert_eq!(
            stored.error.as_deref(),
            Some("Wait for 3/3 Pods to be Ready: timed out after 15 min (last: 0 of 3 Ready)")
        );
    }

    #[test]
    fn a_wait_until_a_time_survives_a_restart_and_ends_on_time() {
        let mut task = resize_task();
        // A two-hour wait, interrupted after one hour: one more hour, not two.
        task.steps[1].timeout_ms = None;
        start(&mut task, 0, at(0), rules());
        record(&mut task, 0, &Ok(Outcome::done("ok")), at(0));
        task.steps[1] = task.steps[1]
            .clone()
            .with_timeout(Duration::from_secs(3 * 3600));
        start(&mut task, 1, at(0), rules());
        let until = at(2 * 3600);
        record(
            &mut task,
            1,
            &Ok(Outcome::WaitUntil {
                until,
                message: "waiting 2 h".into(),
            }),
            at(0),
        );
        let restarted: Task = serde_json::from_value(json!(task)).unwrap();
        assert_eq!(
            decide(&restarted, at(3600)),
            Decision::Sleep { index: 1, until }
        );
        assert_eq!(decide(&restarted, until), Decision::Run(1));
    }

    #[test]
    fn a_step_waiting_for_input_parks_until_it_arrives_or_its_deadline() {
        let mut task = resize_task();
        task.steps[1] = task.steps[1].clone().with_timeout(Duration::from_secs(60));
        let decisions = replay(
            &mut task,
            vec![
                (0, Event::Started(0)),
                (0, Event::Reported(0, Ok(Outcome::done("ok")))),
                (0, Event::Started(1)),
                (
                    1,
                    Event::Reported(
                        1,
                        Ok(Outcome::AwaitInput {
                            message: "waiting for a judgment".into(),
                        }),
                    ),
                ),
                (30, Event::Input(1, json!({"judgmentStatus": "continue"}))),
            ],
        );
        assert_eq!(
            decisions[3],
            Decision::Park {
                index: 1,
                deadline: Some(at(60))
            }
        );
        assert_eq!(decisions[4], Decision::Run(1));
        let mut late = resize_task();
        late.steps[1] = late.steps[1].clone().with_timeout(Duration::from_secs(60));
        start(&mut late, 0, at(0), rules());
        record(&mut late, 0, &Ok(Outcome::done("ok")), at(0));
        start(&mut late, 1, at(0), rules());
        record(
            &mut late,
            1,
            &Ok(Outcome::AwaitInput {
                message: "waiting".into(),
            }),
            at(0),
        );
        assert_eq!(decide(&late, at(60)), Decision::TimeOut(1));
    }

    #[test]
    fn a_waiting_step_stored_without_a_deadline_gets_one_from_its_start() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        record(&mut task, 0, &Ok(Outcome::done("ok")), at(0));
        start(&mut task, 1, at(0), rules());
        task.steps[1].deadline = None; // as an earlier version stored it
        assert_eq!(decide(&task, at(30)), Decision::SetDeadline(1));
        set_deadline(&mut task, 1, at(30), rules());
        assert_eq!(task.steps[1].deadline, Some(at(900)));
        assert_eq!(decide(&task, at(30)), Decision::Run(1));
        assert_eq!(decide(&task, at(900)), Decision::TimeOut(1));
    }

    #[test]
    fn a_sleep_ends_at_the_deadline_when_that_comes_first() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        record(&mut task, 0, &Ok(Outcome::done("ok")), at(0));
        start(&mut task, 1, at(0), rules());
        record(
            &mut task,
            1,
            &Err(cluster_error(
                503,
                "ServiceUnavailable",
                "etcd leader changed",
            )),
            at(899),
        );
        assert_eq!(
            decide(&task, at(899)),
            Decision::Sleep {
                index: 1,
                until: at(900)
            }
        );
    }

    #[test]
    fn a_paused_task_waits_and_its_deadlines_move_on_by_the_pause() {
        let mut task = resize_task();
        task.deadline = Some(at(600));
        start(&mut task, 0, at(0), rules());
        record(&mut task, 0, &Ok(Outcome::done("ok")), at(0));
        start(&mut task, 1, at(0), rules());
        pause(&mut task, at(100));
        assert_eq!(decide(&task, at(5000)), Decision::Paused);
        resume(&mut task, at(400));
        assert_eq!(task.deadline, Some(at(900)));
        assert_eq!(task.steps[1].deadline, Some(at(1200)));
        assert_eq!(decide(&task, at(899)), Decision::Run(1));
        assert_eq!(decide(&task, at(900)), Decision::TimeOut(1));
        time_out(&mut task, 1, at(900));
        assert_eq!(
            task.error.as_deref(),
            Some("Wait for 3/3 Pods to be Ready: the stage timed out after 15 min")
        );
    }

    #[test]
    fn a_cancel_stops_the_task_before_its_next_step() {
        let mut task = resize_task();
        let decisions = replay(
            &mut task,
            vec![
                (0, Event::Started(0)),
                (1, Event::CancelAsked),
                (1, Event::Canceled),
            ],
        );
        assert_eq!(
            decisions,
            vec![Decision::Run(0), Decision::Cancel, Decision::Finished]
        );
        assert_eq!(task.status, Status::Canceled);
        assert_eq!(task.steps[0].status, Status::Canceled);
        assert_eq!(task.steps[0].ended_at, Some(at(1)));
        assert_eq!(task.steps[1].status, Status::Canceled);
        assert_eq!(task.steps[1].ended_at, None, "it never started");
    }

    #[test]
    fn outputs_of_a_step_reach_the_task() {
        let mut task = resize_task();
        start(&mut task, 0, at(0), rules());
        let mut outputs = Outputs::new();
        outputs.insert("serverGroup".into(), json!("web-v002"));
        record(
            &mut task,
            0,
            &Ok(Outcome::Done {
                message: "web-v002".into(),
                outputs,
            }),
            at(0),
        );
        assert_eq!(task.created_server_group(), Some("web-v002"));
    }

    #[test]
    fn a_step_that_calls_the_cluster_gets_its_retry_limit() {
        let step = Step::new(
            "Delete",
            StepAction::Delete {
                target: ManifestRef {
                    account: "local".into(),
                    namespace: "default".into(),
                    kind: "ConfigMap".into(),
                    name: "settings".into(),
                },
            },
        );
        assert_eq!(step.max_attempts, 6);
        assert_ne!(step.action.policy().timeout, Timeout::RunnerWait);
    }
}
