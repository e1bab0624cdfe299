//! One timestamp format end to end: RFC 3339 in UTC with milliseconds
//! (`2026-11-26T13:13:53.123Z`), in stored documents, the JSON API and the UI. The UI shows a
//! timestamp one way too: "3 min ago", with the exact time on hover and focus.

use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Timestamp {
        Timestamp { millis }
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// The current time: the system clock on the server, `Date.now()` in the browser.
    pub fn now() -> Timestamp {
        #[cfg(target_arch = "wasm32")]
        {
            Timestamp::from_millis(js_sys::Date::now() as i64)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let since = std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            Timestamp::from_millis(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        }
    }

    /// Reads RFC 3339 in UTC (`…Z`), with or without a fraction of a second (digits past the
    /// millisecond are dropped), as Kubernetes, jiff and earlier Gennaker versions write it.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let time = humantime::parse_rfc3339(text.trim()).map_err(|e| {
            format!("{text:?} is not a UTC timestamp like 2026-11-26T13:13:53.123Z ({e})")
        })?;
        let since = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| format!("{text:?} is before 1970"))?;
        Ok(Timestamp::from_millis(
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        ))
    }

    /// `self + duration`, saturating.
    pub fn plus(self, duration: Duration) -> Timestamp {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Timestamp::from_millis(self.millis.saturating_add(millis))
    }

    /// How long from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.millis - earlier.millis).unwrap_or(0))
    }

    /// "just now", "42 s ago", "3 min ago", "5 h ago", "2 days ago"; "in 3 min" for the future.
    pub fn relative_to(self, now: Timestamp) -> String {
        let (seconds, future) = if self.millis > now.millis {
            ((self.millis - now.millis) / 1000, true)
        } else {
            ((now.millis - self.millis) / 1000, false)
        };
        let amount = match seconds {
            0..5 => return "just now".to_string(),
            5..60 => format!("{seconds} s"),
            60..3600 => format!("{} min", seconds / 60),
            3600..86_400 => format!("{} h", seconds / 3600),
            86_400..172_800 => "1 day".to_string(),
            _ => format!("{} days", seconds / 86_400),
        };
        if future {
            format!("in {amount}")
        } else {
            format!("{amount} ago")
        }
    }

    /// The exact time for people: `2026-11-26 13:13:53 UTC`.
    pub fn exact(self) -> String {
        let text = self.to_string();
        format!("{} UTC", text.replace('T', " ").get(..19).unwrap_or(&text))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let millis = u64::try_from(self.millis).unwrap_or(0);
        let time = UNIX_EPOCH + Duration::from_millis(millis);
        write!(f, "{}", humantime::format_rfc3339_millis(time))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_rfc3339_utc_with_milliseconds() {
        let t = Timestamp::from_millis(1_795_699_233_123);
        assert_eq!(t.to_string(), "2026-11-26T13:20:33.123Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-26T13:20:33.123Z\""
        );
        assert_eq!(t.exact(), "2026-11-26 13:20:33 UTC");
    }

    #[test]
    fn reads_what_others_write() {
        let ms = Timestamp::parse("2026-11-26T13:20:33.123Z").unwrap();
        assert_eq!(ms.as_millis(), 1_795_699_233_123);
        // Kubernetes: whole seconds. jiff (earlier task files): nanoseconds.
        assert_eq!(
            Timestamp::parse("2026-11-26T13:20:33Z")
                .unwrap()
                .as_millis(),
            1_795_699_233_000
        );
        assert_eq!(
            Timestamp::parse("2026-11-26T13:20:33.123456789Z")
                .unwrap()
                .as_millis(),
            1_795_699_233_123
        );
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.contains("2026-11-26T13:13:53.123Z"), "{err}");
    }

    #[test]
    fn says_how_long_ago() {
        let now = Timestamp::parse("2026-11-26T13:20:33Z").unwrap();
        let ago = |s: i64| Timestamp::from_millis(now.as_millis() - s * 1000).relative_to(now);
        assert_eq!(ago(2), "just now");
        assert_eq!(ago(42), "42 s ago");
        assert_eq!(ago(185), "3 min ago");
        assert_eq!(ago(5 * 3600 + 10), "5 h ago");
        assert_eq!(ago(86_400 + 5), "1 day ago");
        assert_eq!(ago(3 * 86_400), "3 days ago");
        assert_eq!(ago(-180), "in 3 min");
    }

    #[test]
    fn adds_and_subtracts() {
        let t = Timestamp::from_millis(1000);
        assert_eq!(t.plus(Duration::from_secs(2)).as_millis(), 3000);
        assert_eq!(
            Timestamp::from_millis(3000).since(t),
            Duration::from_secs(2)
        );
        assert_eq!(t.since(Timestamp::from_millis(3000)), Duration::ZERO);
    }
}

/// Serde for a timestamp written as milliseconds since the epoch, as Spinnaker's executions
/// write `startTime` and `endTime` (`#[serde(with = "epoch_millis")]`).
pub mod epoch_millis {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Timestamp;

    pub fn serialize<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(t.as_millis())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(deserializer).map(Timestamp::from_millis)
    }
}

/// [`epoch_millis`] for an optional timestamp (`null` when absent).
pub mod epoch_millis_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Timestamp;

    pub fn serialize<S: Serializer>(
        t: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => serializer.serialize_i64(t.as_millis()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|m| m.map(Timestamp::from_millis))
    }
}
