//! CRON triggers: standard 5-field expressions (minute first, Sunday = 0) and Spinnaker's
//! Quartz 6/7-field ones (second first, optional year, Sunday = 1, `?`, `L`, `W`, `#`, and
//! Spinnaker's `H` token), each in its trigger's time zone.
//!
//! When each trigger last ran is stored (`triggers/cron/<pipeline>/<trigger>.json`); a run
//! starts with an id derived from its scheduled time before that time is stored, so a crash
//! in between starts the same execution again, never a second one. A run more than a minute
//! late (the server was down, as Quartz counts a misfire) is skipped, or run once with
//! `missedRuns: runOnce`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{Datelike, Timelike};
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use gennaker_app::error::AppError;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::triggers::{
    CronRun, CronTrigger, MissedRuns, TriggerSettings, java_hash,
};
use gennaker_core::time::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use tracing::Instrument;

use super::{Event, Triggers, Watched};

/// How late a run may start and still be on time (Quartz's misfire threshold).
pub const MISFIRE: Duration = Duration::from_secs(60);

/// The longest the clock sleeps without looking again.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);
/// How soon a trigger is looked at again when its look failed or its run could not start.
const RETRY: Duration = Duration::from_secs(5);

/// A parsed expression in its zone.
pub struct Schedule {
    cron: Cron,
    zone: TimeZone,
}

/// Replaces Spinnaker's `H` in the second, minute and hour fields by a number derived from the
/// trigger's id, as its `CronExpressionFuzzer` does, so triggers written `H * * * * ?` spread out.
fn fuzz(fields: &mut [String], quartz: bool, trigger_id: &str) {
    let hash = java_hash(trigger_id).unsigned_abs();
    let moduli: &[u32] = if quartz { &[59, 59, 23] } else { &[59, 23] };
    for (field, modulus) in fields.iter_mut().zip(moduli) {
        if field.contains('H') {
            *field = field.replace('H', &(hash % modulus).to_string());
        }
    }
}

/// Writes Quartz's `start/step` (`0/1`, `1/1`: from `start` to the field's end) as the range
/// `start-end/step` the parser takes; Deck's own hourly default is `0 0 0/1 1/1 * ? *`.
fn quartz_steps(fields: &mut [String], quartz: bool) {
    let ends: &[u32] = if quartz {
        &[59, 59, 23, 31, 12, 7]
    } else {
        &[59, 23, 31, 12, 6]
    };
    for (field, end) in fields.iter_mut().zip(ends) {
        let parts: Vec<String> = field
            .split(',')
            .map(|part| match part.split_once('/') {
                Some((start, step))
                    if !start.is_empty() && start.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    format!("{start}-{end}/{step}")
                }
                _ => part.to_string(),
            })
            .collect();
        *field = parts.join(",");
    }
}

/// Parses `expression` for the trigger `trigger_id` in `time_zone`; the error says what to fix.
pub fn parse(expression: &str, trigger_id: &str, time_zone: &str) -> Result<Schedule, String> {
    let zone = crate::tasks::windows::zone(time_zone).map_err(|e| e.to_string())?;
    let mut fields: Vec<String> = expression.split_whitespace().map(str::to_string).collect();
    let quartz = match fields.len() {
        5 => false,
        6 | 7 => true,
        n => {
            return Err(format!(
                "{expression:?} has {n} fields: write 5 (minute hour day-of-month month day-of-week, such as 0 3 * * 1-5) or Quartz's 6 or 7 (second first, such as 0 0 3 ? * MON-FRI)"
            ));
        }
    };
    fuzz(&mut fields, quartz, trigger_id);
    quartz_steps(&mut fields, quartz);
    let parser = CronParser::builder()
        .seconds(if quartz {
            Seconds::Required
        } else {
            Seconds::Disallowed
        })
        .alternative_weekdays(quartz)
        .build();
    let cron = parser
        .parse(&fields.join(" "))
        .map_err(|e| format!("{expression:?} is not a CRON expression: {e}"))?;
    Ok(Schedule { cron, zone })
}

fn to_naive(dt: jiff::civil::DateTime) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDate::from_ymd_opt(
        i32::from(dt.year()),
        u32::try_from(dt.month()).ok()?,
        u32::try_from(dt.day()).ok()?,
    )?
    .and_hms_opt(
        u32::try_from(dt.hour()).ok()?,
        u32::try_from(dt.minute()).ok()?,
        u32::try_from(dt.second()).ok()?,
    )
}

fn from_naive(dt: chrono::NaiveDateTime) -> Option<jiff::civil::DateTime> {
    jiff::civil::DateTime::new(
        i16::try_from(dt.year()).ok()?,
        i8::try_from(dt.month()).ok()?,
        i8::try_from(dt.day()).ok()?,
        i8::try_from(dt.hour()).ok()?,
        i8::try_from(dt.minute()).ok()?,
        i8::try_from(dt.second()).ok()?,
        0,
    )
    .ok()
}

impl Schedule {
    /// The first run strictly after `after`.
    pub fn next_after(&self, after: jiff::Timestamp) -> Option<jiff::Timestamp> {
        self.step(after, true)
    }

    /// The last run at or before `at`.
    pub fn latest_at(&self, at: jiff::Timestamp) -> Option<jiff::Timestamp> {
        let later = at.checked_add(jiff::SignedDuration::from_secs(1)).ok()?;
        self.step(later, false)
    }

    fn step(&self, from: jiff::Timestamp, forward: bool) -> Option<jiff::Timestamp> {
        let mut civil = to_naive(self.zone.to_datetime(from))?;
        // A wall-clock time repeated by a change from summer time may resolve on the wrong
        // side of `from`; look again from there.
        for _ in 0..4 {
            let found = if forward {
                self.cron.find_next_occurrence(&civil, false)
            } else {
                self.cron.find_previous_occurrence(&civil, false)
            }
            .ok()?;
            let instant = self
                .zone
                .to_ambiguous_timestamp(from_naive(found)?)
                .compatible()
                .ok()?;
            if (forward && instant > from) || (!forward && instant < from) {
                return Some(instant);
            }
            civil = found;
        }
        None
    }

    /// The next `n` runs after `after`.
    pub fn upcoming(&self, after: jiff::Timestamp, n: usize) -> Vec<jiff::Timestamp> {
        let mut runs = Vec::with_capacity(n);
        let mut at = after;
        while runs.len() < n {
            let Some(next) = self.next_after(at) else {
                break;
            };
            runs.push(next);
            at = next;
        }
        runs
    }
}

fn millis(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millisecond())
}

/// When each trigger last ran, as stored.
#[derive(Default)]
pub struct Clock {
    last: Mutex<HashMap<String, i64>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LastRun {
    /// The scheduled time of the last run started (or skipped), in milliseconds.
    last_run: i64,
}

/// Where a trigger's last run is kept (its key hex-encoded: a trigger id may hold any text).
fn key(watched: &Watched) -> String {
    format!(
        "triggers/cron/{}/{}.json",
        watched.pipeline_id,
        hex::encode(&watched.key)
    )
}

async fn last_run(triggers: &Triggers, watched: &Watched) -> Result<Option<i64>, AppError> {
    let key = key(watched);
    if let Some(last) = triggers
        .clock
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        return Ok(Some(*last));
    }
    let last = super::load_state::<LastRun>(&triggers.store, &key)
        .await?
        .map(|l| l.last_run);
    if let Some(last) = last {
        triggers
            .clock
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, last);
    }
    Ok(last)
}

async fn set_last_run(triggers: &Triggers, watched: &Watched, at: i64) -> Result<(), AppError> {
    let key = key(watched);
    super::save_state(&triggers.store, &key, &LastRun { last_run: at }).await?;
    triggers
        .clock
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, at);
    Ok(())
}

/// Runs the clock: starts every CRON trigger's pipeline when its time comes.
pub fn watch(triggers: &std::sync::Arc<Triggers>) {
    let triggers = triggers.clone();
    tokio::spawn(
        async move {
            loop {
                let changed = triggers.index.changed.notified();
                let wait = tick(&triggers).await;
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = changed => {}
                }
            }
        }
        .instrument(tracing::info_span!("cron-triggers")),
    );
}

/// Starts what is due now; returns how long to sleep until the next run.
pub async fn tick(triggers: &Triggers) -> Duration {
    let crons = triggers.index.of(|s| match s {
        TriggerSettings::Cron(c) => Some(c),
        _ => None,
    });
    let mut wait = LONGEST_SLEEP;
    for (watched, cron) in crons {
        match due(triggers, &watched, &cron).await {
            Ok(Some(next)) => wait = wait.min(next),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(pipeline = %watched.pipeline_name, "CRON trigger: {error}");
                wait = wait.min(RETRY);
            }
        }
    }
    wait
}

/// Starts `cron`'s run if it is due; returns how long until its next one (or until it is
/// tried again, when it could not start).
async fn due(
    triggers: &Triggers,
    watched: &Watched,
    cron: &CronTrigger,
) -> Result<Option<Duration>, String> {
    let trigger_id = if cron.id.is_empty() {
        &watched.pipeline_id
    } else {
        &cron.id
    };
    let schedule = parse(&cron.expression, trigger_id, &cron.time_zone)?;
    let now = jiff::Timestamp::now();
    let Some(last) = last_run(triggers, watched)
        .await
        .map_err(|e| e.to_string())?
    else {
        // First sight of this trigger: its runs start from now.
        set_last_run(triggers, watched, now.as_millisecond())
            .await
            .map_err(|e| e.to_string())?;
        return Ok(schedule.next_after(now).map(|n| until(now, n)));
    };
    let last = jiff::Timestamp::from_millisecond(last).map_err(|e| e.to_string())?;
    let decision = decide(&schedule, last, now, cron.missed_runs);
    let Some(latest) = decision.record else {
        return Ok(decision.next.map(|n| until(now, n)));
    };
    if decision.run.is_none() {
        tracing::info!(
            pipeline = %watched.pipeline_name,
            "CRON trigger: runs missed since {last} are skipped (missedRuns: skip)"
        );
    }
    let run = decision.run;
    if let Some(run) = run {
        let event = Event {
            fields: fields(cron, run),
            parameters: Map::new(),
            id: ExecutionId::derived(
                millis(run),
                &format!(
                    "cron/{}/{}/{}",
                    watched.pipeline_id,
                    watched.key,
                    run.as_millisecond()
                ),
            ),
        };
        let what = format!("the CRON trigger's run at {run}");
        if !triggers.fire_or_keep(watched, event, &what).await {
            // Not recorded as run: the next look starts it.
            return Ok(Some(RETRY));
        }
    }
    set_last_run(triggers, watched, latest.as_millisecond())
        .await
        .map_err(|e| e.to_string())?;
    Ok(decision.next.map(|n| until(now, n)))
}

/// What the clock does for a trigger that last ran at `last`, at `now`.
#[derive(Debug, PartialEq)]
pub struct Decision {
    /// The run to start now, if any.
    pub run: Option<jiff::Timestamp>,
    /// The run time to store as the last one, when one was due (started or skipped).
    pub record: Option<jiff::Timestamp>,
    /// The run after that.
    pub next: Option<jiff::Timestamp>,
}

/// Runs on time (at most [`MISFIRE`] late) start; older ones are missed runs: skipped, or
/// with `runOnce` the latest of them starts once. Several due at once start once.
pub fn decide(
    schedule: &Schedule,
    last: jiff::Timestamp,
    now: jiff::Timestamp,
    missed: MissedRuns,
) -> Decision {
    let Some(next) = schedule.next_after(last) else {
        return Decision {
            run: None,
            record: None,
            next: None,
        };
    };
    if next > now {
        return Decision {
            run: None,
            record: None,
            next: Some(next),
        };
    }
    let latest = schedule.latest_at(now).unwrap_or(next);
    let late = now.duration_since(latest).unsigned_abs();
    Decision {
        run: (late <= MISFIRE || missed == MissedRuns::RunOnce).then_some(latest),
        record: Some(latest),
        next: schedule.next_after(latest),
    }
}

fn until(now: jiff::Timestamp, then: jiff::Timestamp) -> Duration {
    then.duration_since(now)
        .try_into()
        .unwrap_or(Duration::ZERO)
}

fn fields(cron: &CronTrigger, run: jiff::Timestamp) -> Map<String, serde_json::Value> {
    let mut fields = Map::new();
    fields.insert("cronExpression".into(), json!(cron.expression));
    fields.insert("timeZone".into(), json!(cron.time_zone));
    fields.insert("scheduledTime".into(), json!(run.as_millisecond()));
    fields.insert("eventId".into(), json!(uuid::Uuid::now_v7().to_string()));
    fields
}

/// The next `n` runs of `expression` in `time_zone`, for the editor, or what is wrong with it.
pub fn next_runs(
    expression: &str,
    time_zone: &str,
    trigger_id: &str,
    n: usize,
) -> Result<Vec<CronRun>, String> {
    let schedule = parse(expression, trigger_id, time_zone)?;
    Ok(schedule
        .upcoming(jiff::Timestamp::now(), n)
        .into_iter()
        .map(|t| CronRun {
            at: millis(t),
            local: format!(
                "{} ({time_zone})",
                t.to_zoned_datetime(schedule.zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M:%S")
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn five_fields_are_minute_first_with_sunday_zero() {
        let s = parse("30 9 * * 0", "t", "UTC").expect("parses");
        // 2026-11-29 is a Sunday.
        assert_eq!(
            s.next_after(at("2026-11-27T00:00:00Z")),
            Some(at("2026-11-29T09:30:00Z"))
        );
    }

    #[test]
    fn quartz_fields_are_second_first_with_sunday_one() {
        let s = parse("15 30 9 ? * 1", "t", "UTC").expect("parses");
        assert_eq!(
            s.next_after(at("2026-11-27T00:00:00Z")),
            Some(at("2026-11-29T09:30:15Z"))
        );
        let s = parse("0 0 12 ? * MON-FRI 2027", "t", "UTC").expect("parses");
        assert_eq!(
            s.next_after(at("2026-11-27T00:00:00Z")),
            Some(at("2027-01-01T12:00:00Z"))
        );
    }

    #[test]
    fn quartz_start_and_step_run_from_the_start() {
        // Deck's hourly default.
        let s = parse("0 0 0/1 1/1 * ? *", "t", "UTC").expect("Quartz's start/step parses");
        assert_eq!(
            s.upcoming(at("2026-11-27T10:20:00Z"), 2),
            [at("2026-11-27T11:00:00Z"), at("2026-11-27T12:00:00Z")]
        );
        let s = parse("0 5/20 * * * ?", "t", "UTC").expect("parses");
        assert_eq!(
            s.upcoming(at("2026-11-27T10:06:00Z"), 3),
            [
                at("2026-11-27T10:25:00Z"),
                at("2026-11-27T10:45:00Z"),
                at("2026-11-27T11:05:00Z")
            ]
        );
    }

    #[test]
    fn every_second_runs_every_second() {
        let s = parse("* * * * * ?", "t", "UTC").expect("parses");
        let runs = s.upcoming(at("2026-11-27T10:00:00Z"), 3);
        assert_eq!(
            runs,
            vec![
                at("2026-11-27T10:00:01Z"),
                at("2026-11-27T10:00:02Z"),
                at("2026-11-27T10:00:03Z")
            ]
        );
        assert_eq!(
            s.latest_at(at("2026-11-27T10:00:05.500Z")),
            Some(at("2026-11-27T10:00:05Z"))
        );
    }

    #[test]
    fn runs_are_in_the_triggers_zone() {
        let s = parse("0 9 * * *", "t", "Asia/Tokyo").expect("parses");
        assert_eq!(
            s.next_after(at("2026-11-27T00:00:00Z")),
            Some(at("2026-11-28T00:00:00Z"))
        );
        // New York leaves summer time on 2026-11-01: 09:00 is 13:00Z before, 14:00Z after.
        let s = parse("0 9 * * *", "t", "America/New_York").expect("parses");
        assert_eq!(
            s.upcoming(at("2026-10-31T12:00:00Z"), 2),
            vec![at("2026-10-31T13:00:00Z"), at("2026-11-01T14:00:00Z")]
        );
    }

    #[test]
    fn h_is_derived_from_the_trigger_id() {
        let hash = java_hash("abc").unsigned_abs();
        let s = parse("0 H * * * ?", "abc", "UTC").expect("parses");
        let next = s.next_after(at("2026-11-27T00:00:00Z")).expect("a run");
        assert_eq!(next, at(&format!("2026-11-27T00:{:02}:00Z", hash % 59)));
    }

    #[test]
    fn a_run_missed_while_down_is_skipped_or_run_once() {
        let s = parse("0 3 * * *", "t", "UTC").expect("parses");
        let last = at("2026-11-25T03:00:00Z");
        // On time (20 s late): it runs.
        let d = decide(&s, last, at("2026-11-26T03:00:20Z"), MissedRuns::Skip);
        assert_eq!(d.run, Some(at("2026-11-26T03:00:00Z")));
        // Down for hours: skipped, and the schedule goes on from there.
        let d = decide(&s, last, at("2026-11-27T09:00:00Z"), MissedRuns::Skip);
        assert_eq!(d.run, None);
        assert_eq!(d.record, Some(at("2026-11-27T03:00:00Z")));
        assert_eq!(d.next, Some(at("2026-11-28T03:00:00Z")));
        // runOnce: the latest missed run, once, though two were missed.
        let d = decide(&s, last, at("2026-11-27T09:00:00Z"), MissedRuns::RunOnce);
        assert_eq!(d.run, Some(at("2026-11-27T03:00:00Z")));
        // Nothing due yet.
        let d = decide(
            &s,
            at("2026-11-27T03:00:00Z"),
            at("2026-11-27T09:00:00Z"),
            MissedRuns::Skip,
        );
        assert_eq!((d.run, d.record), (None, None));
        assert_eq!(d.next, Some(at("2026-11-28T03:00:00Z")));
    }

    #[test]
    fn bad_expressions_and_zones_say_what_to_write() {
        let error = parse("* * *", "t", "UTC").err().unwrap_or_default();
        assert!(error.contains("has 3 fields"), "{error}");
        let error = parse("61 * * * *", "t", "UTC").err().unwrap_or_default();
        assert!(error.contains("is not a CRON expression"), "{error}");
        let error = parse("0 * * * *", "t", "Mars/Olympus")
            .err()
            .unwrap_or_default();
        assert!(error.contains("is not a time zone"), "{error}");
    }
}
