//! Execution windows: a stage may be restricted to days of the week and hours of the day
//! (Spinnaker's `restrictExecutionDuringTimeWindow` and `restrictedExecutionWindow`), in a time
//! zone of its own (`restrictedExecutionWindow.timeZone`, Gennaker's addition: Spinnaker has one
//! zone for the whole server), with an optional random delay once the window is open
//! (`jitter`). Read here, checked with the stage; the server finds the next open time.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::Stage;
use super::reader::Reader;
use crate::error::FieldError;

/// The label of the step that waits for a stage's execution window: its first.
pub const WINDOW_STEP: &str = "Wait for the execution window";

/// The zone of a window that names none.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// The days of the week as Spinnaker numbers them (Java's Calendar: 1 is Sunday).
pub const DAYS: [(u8, &str); 7] = [
    (2, "Monday"),
    (3, "Tuesday"),
    (4, "Wednesday"),
    (5, "Thursday"),
    (6, "Friday"),
    (7, "Saturday"),
    (1, "Sunday"),
];

/// A time of day range in minutes since midnight; `end` at or before `start` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    pub start: u16,
    pub end: u16,
}

impl TimeRange {
    /// The range as parts that each stay within one day (`end` may be 1440, midnight).
    pub fn within_days(self) -> Vec<TimeRange> {
        if self.end > self.start {
            vec![self]
        } else {
            vec![
                TimeRange {
                    start: self.start,
                    end: 24 * 60,
                },
                TimeRange {
                    start: 0,
                    end: self.end,
                },
            ]
            .into_iter()
            .filter(|r| r.end > r.start)
            .collect()
        }
    }
}

/// When a stage may start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionWindow {
    /// Allowed days, 1 (Sunday) to 7 (Saturday); empty allows every day.
    pub days: Vec<u8>,
    /// Allowed times of day; empty allows the whole day.
    pub ranges: Vec<TimeRange>,
    /// An IANA zone name such as `Europe/Berlin`.
    pub time_zone: String,
}

/// A random delay once the window is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jitter {
    pub min_seconds: u64,
    pub max_seconds: u64,
    /// No delay when a person started the execution.
    pub skip_manual: bool,
}

/// The stage's window, when it has one (`restrictExecutionDuringTimeWindow: true`); problems
/// go to `errors` under `path`.
pub fn read(
    stage: &Stage,
    path: &str,
    lenient: bool,
    errors: &mut Vec<FieldError>,
) -> Option<(ExecutionWindow, Option<Jitter>)> {
    let on = stage
        .settings
        .get("restrictExecutionDuringTimeWindow")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !on {
        return None;
    }
    let mut r = Reader::new(&stage.settings, path, lenient, errors);
    let read = r.object("restrictedExecutionWindow", |w| {
        let days: Vec<u8> = w
            .numbers("days")
            .into_iter()
            .filter_map(|d| u8::try_from(d).ok())
            .collect();
        if days.iter().any(|d| !(1..=7).contains(d)) {
            w.fail("days", "Days are 1 (Sunday) to 7 (Saturday).");
        }
        let ranges = w.objects("whitelist", |range| {
            let mut part = |key: &str, most: u64| {
                let value = range.count(key).unwrap_or(0);
                if value > most {
                    range.fail(key, format!("{key} is 0 to {most}."));
                }
                u16::try_from(value.min(most)).unwrap_or(0)
            };
            let (start_hour, start_min) = (part("startHour", 23), part("startMin", 59));
            let (end_hour, end_min) = (part("endHour", 23), part("endMin", 59));
            TimeRange {
                start: start_hour * 60 + start_min,
                end: end_hour * 60 + end_min,
            }
        });
        for (i, range) in ranges.iter().enumerate() {
            if range.start == range.end {
                w.fail(
                    &format!("whitelist[{i}]"),
                    "The window starts and ends at the same time: give it a length.",
                );
            }
        }
        let time_zone = w
            .text("timeZone")
            .filter(|z| !z.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_string());
        let jitter = w
            .object("jitter", |j| {
                if j.flag("enabled") != Some(true) {
                    return None;
                }
                let min_seconds = j.count("minDelay").unwrap_or(0);
                let max_seconds = j.count("maxDelay").unwrap_or(0);
                if max_seconds < min_seconds {
                    j.fail(
                        "maxDelay",
                        "The longest delay is shorter than the shortest.",
                    );
                }
                Some(Jitter {
                    min_seconds,
                    max_seconds: max_seconds.max(min_seconds),
                    skip_manual: j.flag("skipManual").unwrap_or(false),
                })
            })
            .flatten();
        (
            ExecutionWindow {
                days,
                ranges,
                time_zone: time_zone.trim().to_string(),
            },
            jitter,
        )
    });
    if read.is_none() {
        r.fail(
            "restrictedExecutionWindow",
            "Give the days and hours the stage may run in.",
        );
    }
    read
}

/// "Mon–Fri 09:00–17:00 (Europe/Berlin)".
pub fn describe(window: &ExecutionWindow) -> String {
    let days = if window.days.is_empty() || window.days.len() == 7 {
        "every day".to_string()
    } else {
        DAYS.iter()
            .filter(|(n, _)| window.days.contains(n))
            .map(|(_, name)| &name[..3])
            .collect::<Vec<_>>()
            .join(", ")
    };
    let clock = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    let hours = if window.ranges.is_empty() {
        "all day".to_string()
    } else {
        window
            .ranges
            .iter()
            .map(|r| format!("{}–{}", clock(r.start), clock(r.end)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{days} {hours} ({})", window.time_zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage(settings: Value) -> Stage {
        let mut value = settings;
        value["refId"] = json!("1");
        value["type"] = json!("wait");
        value["name"] = json!("Wait");
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_window_reads_as_spinnaker_writes_it() {
        let mut errors = Vec::new();
        let read = read(
            &stage(
                json!({"restrictExecutionDuringTimeWindow": true, "restrictedExecutionWindow": {
                "days": [2, 3, 4, 5, 6],
                "whitelist": [{"startHour": 22, "startMin": 30, "endHour": 2, "endMin": 0}],
                "jitter": {"enabled": true, "minDelay": 5, "maxDelay": 60, "skipManual": true},
                "timeZone": "Europe/Berlin"}}),
            ),
            "stages[0]",
            false,
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let (window, jitter) = read.expect("a window");
        assert_eq!(
            window.ranges,
            [TimeRange {
                start: 1350,
                end: 120
            }]
        );
        assert_eq!(
            window.ranges[0].within_days(),
            [
                TimeRange {
                    start: 1350,
                    end: 1440
                },
                TimeRange { start: 0, end: 120 }
            ]
        );
        assert_eq!(
            jitter.map(|j| (j.min_seconds, j.max_seconds)),
            Some((5, 60))
        );
        assert_eq!(
            describe(&window),
            "Mon, Tue, Wed, Thu, Fri 22:30–02:00 (Europe/Berlin)"
        );
        let off = read_off(json!({"restrictedExecutionWindow": {"days": [1]}}));
        assert!(off.is_none(), "without the flag there is no window");
    }

    fn read_off(settings: Value) -> Option<(ExecutionWindow, Option<Jitter>)> {
        read(&stage(settings), "stages[0]", true, &mut Vec::new())
    }

    #[test]
    fn bad_windows_are_named_by_path() {
        let mut errors = Vec::new();
        read(
            &stage(
                json!({"restrictExecutionDuringTimeWindow": true, "restrictedExecutionWindow": {
                "days": [0, 8], "whitelist": [{"startHour": 25, "startMin": 0, "endHour": 1, "endMin": 0},
                    {"startHour": 9, "startMin": 0, "endHour": 9, "endMin": 0}],
                "jitter": {"enabled": true, "minDelay": 60, "maxDelay": 5}}}),
            ),
            "stages[0]",
            true,
            &mut errors,
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "stages[0].restrictedExecutionWindow.days",
                "stages[0].restrictedExecutionWindow.whitelist[0].startHour",
                "stages[0].restrictedExecutionWindow.whitelist[1]",
                "stages[0].restrictedExecutionWindow.jitter.maxDelay",
            ]
        );
        let mut missing = Vec::new();
        read(
            &stage(json!({"restrictExecutionDuringTimeWindow": true})),
            "stages[0]",
            true,
            &mut missing,
        );
        assert_eq!(missing[0].field, "stages[0].restrictedExecutionWindow");
    }
}
