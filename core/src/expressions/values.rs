//! The rules values follow in expressions, in one place: how they read in messages and text,
//! which count as true or false, how they compare, and number arithmetic.
//!
//! Values are plain `serde_json::Value`s. Spinnaker's parameters are always strings, so a few
//! rules let strings stand in where users expect them to: `"true"`/`"false"` (any case) are
//! conditions, and a string equals a number when it reads as that number's text.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::error::{EvalError, Evaluated};

/// The type's name as users know it, for messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// The value's JSON text for a message, shortened when long (`"abc"`, `[1,2]`).
pub(super) fn shown(value: &Value) -> String {
    const LONGEST: usize = 60;
    let json = value.to_string();
    if json.chars().count() <= LONGEST {
        return json;
    }
    let cut: String = json.chars().take(LONGEST).collect();
    format!("{cut}…")
}

/// The value for a message, with its type: `the string "abc"`, `the list [1,2]`, `null`.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        other => format!("the {} {}", type_name(other), shown(other)),
    }
}

/// A string, number or boolean as text, where Java would convert an argument to a String;
/// `None` for null, lists and maps.
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The value as text, as Java's `String.valueOf` gives it for `+`: null is "null"; lists and
/// maps are JSON (Java would print `[a, b]` and `{k=v}`, which nothing can read back).
pub(super) fn to_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `1 item`, `3 items`: a count with its noun, for messages.
pub(super) fn count(number: usize, noun: &str) -> String {
    match number {
        1 => format!("1 {noun}"),
        _ => format!("{number} {noun}s"),
    }
}

/// Names such as `a, b, c` for "it has: …" lists, sorted, and cut short when there are many.
pub(super) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const MOST: usize = 20;
    let mut names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return "nothing".to_string();
    }
    names.sort_unstable();
    let more = names.len().saturating_sub(MOST);
    let mut listed = names[..names.len() - more].join(", ");
    if more > 0 {
        listed.push_str(&format!(" and {more} more"));
    }
    listed
}

/// The value as a condition for `&&`, `||`, `!` and `? :`. Like SpEL this is strict: only
/// booleans count, plus the strings "true" and "false" in any case, because Spinnaker's
/// parameters are strings. `operator` and `written` name the place for the message.
pub(super) fn condition(value: &Value, operator: &str, written: &str) -> Evaluated<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(EvalError::new(format!(
            "{operator} needs true or false, but {written} is {}",
            describe(other)
        ))),
    }
}

/// `==`: numbers compare by value (`1 == 1.0`); a string equals a number when it is the
/// number's text (`'3' == 3`, but not `'3.0' == 3`), and a boolean when it is "true" or
/// "false" in any case; lists and maps compare item by item with these same rules; anything
/// else is equal only to the same JSON value.
pub(super) fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b) == Some(Ordering::Equal),
        (Value::String(text), Value::Number(n)) | (Value::Number(n), Value::String(text)) => {
            *text == n.to_string()
        }
        (Value::String(text), Value::Bool(b)) | (Value::Bool(b), Value::String(text)) => {
            text.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| equal(x, y)))
        }
        (a, b) => a == b,
    }
}

/// `<`, `>`, `<=`, `>=`: numbers by value, strings by character, and a string that reads as a
/// number against a number by value. `None` when the two cannot be ordered.
pub(super) fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::String(text), Value::Number(n)) => {
            text.trim().parse::<f64>().ok()?.partial_cmp(&n.as_f64()?)
        }
        (Value::Number(n), Value::String(text)) => {
            n.as_f64()?.partial_cmp(&text.trim().parse::<f64>().ok()?)
        }
        _ => None,
    }
}

fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (Numeric::of(a), Numeric::of(b)) {
        (Numeric::Whole(x), Numeric::Whole(y)) => Some(x.cmp(&y)),
        (x, y) => x.as_f64().partial_cmp(&y.as_f64()),
    }
}

/// `+ - * / %`; `+` also joins text, which the evaluator decides before it gets here.
/// Messages quote operators as the user wrote them (`div`, `and`), so these have no symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arithmetic {
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
}

/// A number as arithmetic sees it: whole numbers stay whole (Java's `long`), as in SpEL
/// `7 / 2` is 3; anything with a fraction is a double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Numeric {
    Whole(i64),
    Fraction(f64),
}

impl Numeric {
    pub fn of(number: &Number) -> Numeric {
        match number.as_i64() {
            Some(whole) => Numeric::Whole(whole),
            // u64 above i64::MAX, or a float.
            None => Numeric::Fraction(number.as_f64().unwrap_or(f64::NAN)),
        }
    }

    pub fn from_value(value: &Value) -> Option<Numeric> {
        match value {
            Value::Number(number) => Some(Numeric::of(number)),
            _ => None,
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 is accepted: such numbers are ids, not quantities.
            Numeric::Whole(whole) => whole as f64,
            Numeric::Fraction(fraction) => fraction,
        }
    }

    pub fn into_value(self) -> Evaluated<Value> {
        match self {
            Numeric::Whole(whole) => Ok(Value::from(whole)),
            Numeric::Fraction(fraction) => Number::from_f64(fraction)
                .map(Value::Number)
                .ok_or_else(|| {
                    EvalError::new(format!("the result {fraction} is not a finite number"))
                }),
        }
    }

    pub fn negate(self) -> Evaluated<Numeric> {
        match self {
            Numeric::Whole(whole) => whole.checked_neg().map(Numeric::Whole).ok_or_else(overflow),
            Numeric::Fraction(fraction) => Ok(Numeric::Fraction(-fraction)),
        }
    }

    /// `self <operator> other`. Whole numbers use checked arithmetic: Java would wrap around
    /// silently, which is never what a pipeline means.
    pub fn apply(self, operator: Arithmetic, other: Numeric) -> Evaluated<Numeric> {
        if let (Numeric::Whole(a), Numeric::Whole(b)) = (self, other) {
            let divides = matches!(operator, Arithmetic::Divide | Arithmetic::Remainder);
            if b == 0 && divides {
                return Err(EvalError::new(format!("cannot divide {a} by zero")));
            }
            let result = match operator {
                Arithmetic::Add => a.checked_add(b),
                Arithmetic::Subtract => a.checked_sub(b),
                Arithmetic::Multiply => a.checked_mul(b),
                Arithmetic::Divide => a.checked_div(b),
                Arithmetic::Remainder => a.checked_rem(b),
            };
            return result.map(Numeric::Whole).ok_or_else(overflow);
        }
        let (a, b) = (self.as_f64(), other.as_f64());
        Ok(Numeric::Fraction(match operator {
            Arithmetic::Add => a + b,
            Arithmetic::Subtract => a - b,
            Arithmetic::Multiply => a * b,
            Arithmetic::Divide => a / b,
            Arithmetic::Remainder => a % b,
        }))
    }
}

fn overflow() -> EvalError {
    EvalError::new(format!(
        "the result is too large for a whole number (they go from {} to {})",
        i64::MIN,
        i64::MAX
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality_follows_the_documented_rules() {
        let cases = [
            (json!(1), json!(1.0), true),
            (json!("3"), json!(3), true),
            (json!("3.0"), json!(3), false),
            (json!("TRUE"), json!(true), true),
            (json!(null), json!(null), true),
            (json!(null), json!(""), false),
            (json!([1, "2"]), json!([1.0, 2]), true),
            (json!({"a": 1}), json!({"a": 1.0}), true),
            (json!({"a": 1}), json!({"b": 1}), false),
            (json!("a"), json!(["a"]), false),
        ];
        for (left, right, expected) in cases {
            assert_eq!(equal(&left, &right), expected, "{left} == {right}");
        }
    }

    #[test]
    fn ordering_mixes_numbers_and_numeric_strings_only() {
        assert_eq!(compare(&json!(2), &json!(10.5)), Some(Ordering::Less));
        assert_eq!(compare(&json!("b"), &json!("a")), Some(Ordering::Greater));
        assert_eq!(compare(&json!("10"), &json!(9)), Some(Ordering::Greater));
        assert_eq!(compare(&json!("x"), &json!(9)), None);
        assert_eq!(compare(&json!(true), &json!(false)), None);
    }

    #[test]
    fn whole_numbers_stay_whole_and_overflow_is_an_error() {
        let seven = Numeric::Whole(7);
        assert_eq!(
            seven.apply(Arithmetic::Divide, Numeric::Whole(2)).unwrap(),
            Numeric::Whole(3)
        );
        assert_eq!(
            seven
                .apply(Arithmetic::Remainder, Numeric::Whole(-2))
                .unwrap(),
            Numeric::Whole(1)
        );
        assert_eq!(
            seven
                .apply(Arithmetic::Divide, Numeric::Fraction(2.0))
                .unwrap(),
            Numeric::Fraction(3.5)
        );
        assert!(
            Numeric::Whole(i64::MAX)
                .apply(Arithmetic::Add, Numeric::Whole(1))
                .is_err()
        );
        assert!(Numeric::Whole(i64::MIN).negate().is_err());
        assert!(
            Numeric::Fraction(1.0)
                .apply(Arithmetic::Divide, Numeric::Fraction(0.0))
                .unwrap()
                .into_value()
                .is_err()
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = json!("x".repeat(100));
        assert!(describe(&long).ends_with('…'));
        assert_eq!(describe(&json!(null)), "null");
        assert_eq!(name_list(["b", "a"]), "a, b");
    }
}
