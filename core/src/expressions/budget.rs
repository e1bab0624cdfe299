//! What one evaluation may spend, so no expression can take the server's memory or time:
//! `#toJson(#toJson(…execution…))` doubles the text at every level, and an expression in a
//! stage is evaluated again after every restart.
//!
//! One budget covers a whole call of [`evaluate`](super::evaluate) or
//! [`evaluate_all`](super::evaluate_all) (every string of a stage's settings together):
//! - [`MOST_STEPS`] nodes evaluated,
//! - [`MOST_BYTES`] of JSON text for any one value the evaluation makes (values read from the
//!   root as they are do not count: only what the expression builds),
//! - [`MOST_TIME`] of wall-clock time (on the server; the browser only checks syntax).
//!
//! Going over one fails the evaluation with a message that names the budget.

use std::cell::Cell;

use serde_json::Value;

use super::error::{EvalError, Evaluated};

/// The most expression nodes one evaluation may evaluate.
pub const MOST_STEPS: u64 = 200_000;
/// The most JSON text, in bytes, of any value an evaluation makes.
pub const MOST_BYTES: usize = 4 * 1024 * 1024;
/// The most time one evaluation may take.
pub const MOST_TIME: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) struct Budget {
    steps: Cell<u64>,
    #[cfg(not(target_arch = "wasm32"))]
    deadline: std::time::Instant,
}

impl Budget {
    pub fn new() -> Budget {
        Budget {
            steps: Cell::new(0),
            #[cfg(not(target_arch = "wasm32"))]
            deadline: std::time::Instant::now() + MOST_TIME,
        }
    }

    /// Counts one evaluated node; fails once the steps or the time are spent.
    pub fn step(&self) -> Evaluated<()> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MOST_STEPS {
            return Err(EvalError::new(format!(
                "the evaluation went over its budget of {MOST_STEPS} steps; simplify the expression"
            )));
        }
        #[cfg(not(target_arch = "wasm32"))]
        if steps.is_multiple_of(64) {
            self.in_time()?;
        }
        Ok(())
    }

    /// Fails once the time is spent (also checked by long operations between steps).
    pub fn in_time(&self) -> Evaluated<()> {
        #[cfg(not(target_arch = "wasm32"))]
        if std::time::Instant::now() > self.deadline {
            return Err(EvalError::new(format!(
                "the evaluation went over its budget of {} s; simplify the expression",
                MOST_TIME.as_secs()
            )));
        }
        Ok(())
    }

    /// Fails when `value`, made by the evaluation, is larger than [`MOST_BYTES`] as JSON.
    pub fn made(&self, value: &Value) -> Evaluated<()> {
        json_size_within(value, MOST_BYTES)
            .map(drop)
            .ok_or_else(too_large)
    }

    /// Adds `value` to `total`, the size of a value being gathered (a list, a map, a method's
    /// arguments), before it is copied: fails once the whole would pass [`MOST_BYTES`].
    pub fn gathering(&self, total: &mut usize, value: &Value) -> Evaluated<()> {
        let left = MOST_BYTES.saturating_sub(*total);
        let size = json_size_within(value, left).ok_or_else(too_large)?;
        *total += size;
        Ok(())
    }

    /// `value` as JSON text, written no further than [`MOST_BYTES`]: each `#toJson` level
    /// doubles the text, and an estimate could refuse text that fits.
    pub fn json_text(&self, value: &Value) -> Evaluated<String> {
        let mut text = Bounded(Vec::new());
        serde_json::to_writer(&mut text, value).map_err(|_| too_large())?;
        // serde_json writes UTF-8 only.
        String::from_utf8(text.0).map_err(|_| too_large())
    }

    /// Fails when text about to be made would be longer than [`MOST_BYTES`].
    pub fn text_of(&self, length: usize) -> Evaluated<()> {
        if length > MOST_BYTES {
            return Err(too_large());
        }
        Ok(())
    }
}

fn too_large() -> EvalError {
    EvalError::new(format!(
        "the evaluation went over its budget of {} MiB for any value it makes; read a smaller part (a key, not the whole execution)",
        MOST_BYTES / (1024 * 1024)
    ))
}

/// A writer that refuses to grow past [`MOST_BYTES`].
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MOST_BYTES {
            return Err(std::io::Error::other("over the budget"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// About how long `value` is as JSON (never less), or `None` once that passes `limit`; found
/// without writing it and without recursion, stopping as soon as the limit is passed.
pub(super) fn json_size_within(value: &Value, limit: usize) -> Option<usize> {
    let mut size = 0usize;
    let mut todo = vec![value];
    while let Some(value) = todo.pop() {
        size += match value {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(_) => 20,
            // Quotes, and room for escapes without counting them.
            Value::String(text) => text.len() + 2,
            Value::Array(items) => {
                todo.extend(items.iter());
                2 + items.len()
            }
            Value::Object(map) => {
                for (key, item) in map {
                    size += key.len() + 3;
                    todo.push(item);
                }
                2 + map.len()
            }
        };
        if size > limit {
            return None;
        }
    }
    Some(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_are_estimated_and_stop_at_the_limit() {
        assert!(json_size_within(&json!({"a": [1, "xy"]}), 100).is_some());
        assert_eq!(json_size_within(&json!("x".repeat(200)), 100), None);
        let wide = Value::Array(vec![json!("abcdefgh"); 1_000_000]);
        assert_eq!(json_size_within(&wide, 1000), None);
    }

    #[test]
    fn json_text_is_exact_and_stops_at_the_limit() {
        let budget = Budget::new();
        // Numbers are estimated at 20 bytes each; written, these fit.
        let numbers = Value::Array(vec![json!(1); MOST_BYTES / 4]);
        assert!(json_size_within(&numbers, MOST_BYTES).is_none());
        let text = budget.json_text(&numbers).expect("fits when written");
        assert_eq!(text.len(), MOST_BYTES / 4 * 2 + 1);
        let long = json!("x".repeat(MOST_BYTES));
        let error = budget.json_text(&long).unwrap_err();
        assert!(error.0.contains("MiB"), "{error:?}");
    }

    #[test]
    fn steps_run_out() {
        let budget = Budget::new();
        for _ in 0..MOST_STEPS {
            budget.step().expect("within the budget");
        }
        let error = budget.step().unwrap_err();
        assert!(error.0.contains("budget of 200000 steps"), "{error:?}");
    }
}
