//! When an execution window next lets a stage start, in the window's own time zone (jiff, with
//! its bundled time zone database, so it is the same on every machine).

use gennaker_core::pipelines::windows::{ExecutionWindow, TimeRange};
use gennaker_core::time::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Why a window's next opening cannot be told.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("{0:?} is not a time zone: use a name such as UTC, Europe/Berlin or America/New_York")]
    UnknownZone(String),
    /// A time outside what the calendar can hold (years beyond 9999).
    #[error("{0}")]
    OutOfRange(#[source] jiff::Error),
    #[error("the window never opens: allow at least one day and time")]
    NeverOpens,
}

/// The zone named `name`, or what to fix.
pub fn zone(name: &str) -> Result<TimeZone, WindowError> {
    TimeZone::get(name).map_err(|_| WindowError::UnknownZone(name.to_string()))
}

/// The first instant at or after `after` the window allows.
pub fn next_open(window: &ExecutionWindow, after: Timestamp) -> Result<Timestamp, WindowError> {
    let tz = zone(&window.time_zone)?;
    let now = jiff::Timestamp::from_millisecond(after.as_millis())
        .map_err(WindowError::OutOfRange)?
        .to_zoned_datetime(tz.clone());
    let whole_day = [TimeRange {
        start: 0,
        end: 24 * 60,
    }];
    let mut ranges: Vec<TimeRange> = if window.ranges.is_empty() {
        whole_day.to_vec()
    } else {
        window.ranges.iter().flat_map(|r| r.within_days()).collect()
    };
    ranges.sort_by_key(|r| r.start);
    let mut date = now.date();
    // Eight days: every weekday once, and today again a week later.
    for _ in 0..8 {
        let weekday = u8::try_from(date.weekday().to_sunday_one_offset()).unwrap_or(0);
        if window.days.is_empty() || window.days.contains(&weekday) {
            for range in &ranges {
                let start = at(date, range.start, &tz)?;
                let end = at(date, range.end, &tz)?;
                if now >= start && now < end {
                    return Ok(after);
                }
                if start > now {
                    return Ok(Timestamp::from_millis(start.timestamp().as_millisecond()));
                }
            }
        }
        date = date.tomorrow().map_err(WindowError::OutOfRange)?;
    }
    Err(WindowError::NeverOpens)
}

/// `minutes` after midnight of `date` in `tz` (1440 is the next midnight); a time a clock
/// change skips is taken as the first time after the change.
fn at(date: Date, minutes: u16, tz: &TimeZone) -> Result<jiff::ZonedDateTime, WindowError> {
    let (date, minutes) = if minutes >= 24 * 60 {
        (date.tomorrow().map_err(WindowError::OutOfRange)?, 0)
    } else {
        (date, minutes)
    };
    let hour = i8::try_from(minutes / 60).unwrap_or(0);
    let minute = i8::try_from(minutes % 60).unwrap_or(0);
    date.at(hour, minute, 0, 0)
        .to_zoned_datetime(tz.clone())
        .map_err(WindowError::OutOfRange)
}

/// The window's next opening as its people read it: "Mon 2026-11-30 09:00 (Europe/Berlin)".
pub fn local_time(window: &ExecutionWindow, at: Timestamp) -> String {
    let zoned = zone(&window.time_zone)
        .ok()
        .zip(jiff::Timestamp::from_millisecond(at.as_millis()).ok())
        .map(|(tz, ts)| {
            ts.to_zoned_datetime(tz)
                .strftime("%a %Y-%m-%d %H:%M")
                .to_string()
        });
    match zoned {
        Some(text) => format!("{text} ({})", window.time_zone),
        None => at.exact(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[u8], ranges: &[(u16, u16)], zone: &str) -> ExecutionWindow {
        ExecutionWindow {
            days: days.to_vec(),
            ranges: ranges
                .iter()
                .map(|&(start, end)| TimeRange { start, end })
                .collect(),
            time_zone: zone.into(),
        }
    }

    fn utc(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn the_next_opening_in_the_windows_own_zone() {
        // 2026-11-27 is a Friday.
        let weekdays_nine_to_five = window(&[2, 3, 4, 5, 6], &[(9 * 60, 17 * 60)], "Europe/Berlin");
        // Friday 10:00 UTC is 11:00 in Berlin: open now.
        let inside = utc("2026-11-27T10:00:00Z");
        assert_eq!(next_open(&weekdays_nine_to_five, inside).ok(), Some(inside));
        // Friday 17:30 UTC is 18:30 in Berlin: closed until Monday 09:00 Berlin (08:00 UTC).
        assert_eq!(
            next_open(&weekdays_nine_to_five, utc("2026-11-27T17:30:00Z")).ok(),
            Some(utc("2026-11-30T08:00:00Z"))
        );
        // Across midnight: 22:00–02:00 in New York, Saturdays only (7).
        let nights = window(&[7], &[(22 * 60, 2 * 60)], "America/New_York");
        assert_eq!(
            next_open(&nights, utc("2026-11-27T12:00:00Z")).ok(),
            Some(utc("2026-11-28T05:00:00Z")),
            "Saturday 00:00 in New York opens the after-midnight part"
        );
        // Every day, all day: always open.
        let always = window(&[], &[], "UTC");
        assert_eq!(next_open(&always, inside).ok(), Some(inside));
        assert!(matches!(
            next_open(&window(&[], &[], "Mars/Olympus"), inside),
            Err(WindowError::UnknownZone(zone)) if zone == "Mars/Olympus"
        ));
    }

    #[test]
    fn the_opening_reads_in_its_zone() {
        let berlin = window(&[2], &[(9 * 60, 17 * 60)], "Europe/Berlin");
        assert_eq!(
            local_time(&berlin, utc("2026-11-30T08:00:00Z")),
            "Mon 2026-11-30 09:00 (Europe/Berlin)"
        );
    }
}
