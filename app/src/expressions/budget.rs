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
        if json_size_over(value, MOST_BYTES) {
            return Err(too_large());
        }
        Ok(())
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

/// Whether `value` written as JSON would be longer than `limit` bytes, found without writing
/// it and without recursion; it stops as soon as the limit is passed.
pub(super) fn json_size_over(value: &Value, limit: usize) -> bool {
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
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_are_estimated_and_stop_at_the_limit() {
        assert!(!json_size_over(&json!({"a": [1, "xy"]}), 100));
        assert!(json_size_over(&json!("x".repeat(200)), 100));
        let wide = Value::Array(vec![json!("abcdefgh"); 1_000_000]);
        assert!(json_size_over(&wide, 1000));
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
