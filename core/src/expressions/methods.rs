//! The Java methods an expression may call on a value: `name.toLowerCase()`, `list.size()`,
//! `map.containsKey('k')`. Each type has one table of methods, which is both what a call is
//! looked up in and what an unknown method's message lists.
//!
//! Strings are handled as characters (Unicode scalar values) where Java counts UTF-16 units;
//! the two differ only for characters outside the Basic Multilingual Plane, such as emoji.
//! `split` takes a literal separator, not a regex as Java's does (`'a.b'.split('.')` gives
//! `['a', 'b']`), and like Java drops empty strings at the end. `toString()` on a list or map
//! gives JSON.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::budget::Budget;
use super::error::{EvalError, Evaluated};
use super::regex::Regex;
use super::values::{count, describe, equal, name_list, scalar_text, shown, type_name};

/// One method of values of type `T`.
struct Method<T: ?Sized + 'static> {
    name: &'static str,
    /// How many arguments it takes.
    arity: RangeInclusive<usize>,
    run: fn(&T, &Arguments<'_>) -> Evaluated<Value>,
}

impl<T: ?Sized> Method<T> {
    const fn new(
        name: &'static str,
        arity: RangeInclusive<usize>,
        run: fn(&T, &Arguments<'_>) -> Evaluated<Value>,
    ) -> Method<T> {
        Method { name, arity, run }
    }
}

const STRING_METHODS: &[Method<str>] = &[
    Method::new("toLowerCase", 0..=0, |s, _| Ok(s.to_lowercase().into())),
    Method::new("toUpperCase", 0..=0, |s, _| Ok(s.to_uppercase().into())),
    // Java's trim() removes control characters and spaces, not all Unicode white space.
    Method::new("trim", 0..=0, |s, _| {
        Ok(s.trim_matches(|c| c <= ' ').into())
    }),
    Method::new("length", 0..=0, |s, _| Ok(s.chars().count().into())),
    Method::new("isEmpty", 0..=0, |s, _| Ok(s.is_empty().into())),
    Method::new("contains", 1..=1, |s, a| Ok(s.contains(&a.text(0)?).into())),
    Method::new("startsWith", 1..=1, |s, a| {
        Ok(s.starts_with(&a.text(0)?).into())
    }),
    Method::new("endsWith", 1..=1, |s, a| {
        Ok(s.ends_with(&a.text(0)?).into())
    }),
    // Java's equals: only an equal string is equal, unlike `==`.
    Method::new("equals", 1..=1, |s, a| {
        Ok((a.value(0).as_str() == Some(s)).into())
    }),
    Method::new("equalsIgnoreCase", 1..=1, equals_ignore_case),
    Method::new("indexOf", 1..=1, index_of),
    Method::new("substring", 1..=2, substring),
    Method::new("charAt", 1..=1, |s, a| char_at(s, a.index(0)?)),
    Method::new("replace", 2..=2, |s, a| {
        let (target, with) = (a.text(0)?, a.text(1)?);
        // Measured before it is made: many matches times a long replacement.
        let matches = if target.is_empty() {
            s.chars().count() + 1
        } else {
            s.matches(target.as_str()).count()
        };
        a.budget
            .text_of(s.len().saturating_add(matches.saturating_mul(with.len())))?;
        Ok(s.replace(&target, &with).into())
    }),
    Method::new("replaceAll", 2..=2, replace_all),
    Method::new("matches", 1..=1, |s, a| {
        Ok(a.regex(0)?
            .matches_whole(s)
            .map_err(bad_regex(a, 0))?
            .into())
    }),
    Method::new("split", 1..=1, split),
    Method::new("toString", 0..=0, |s, _| Ok(s.into())),
];

const LIST_METHODS: &[Method<[Value]>] = &[
    Method::new("size", 0..=0, |l, _| Ok(l.len().into())),
    Method::new("isEmpty", 0..=0, |l, _| Ok(l.is_empty().into())),
    // Equality as `==` has it, so that `{'1', '2'}.contains(1)` finds a parameter's text.
    Method::new("contains", 1..=1, |l, a| {
        Ok(l.iter().any(|item| equal(item, a.value(0))).into())
    }),
    Method::new("get", 1..=1, |l, a| {
        Ok(l[position(l.len(), a.index(0)?)?].clone())
    }),
    Method::new("toString", 0..=0, |l, _| {
        Ok(Value::Array(l.to_vec()).to_string().into())
    }),
];

const MAP_METHODS: &[Method<Map<String, Value>>] = &[
    Method::new("size", 0..=0, |m, _| Ok(m.len().into())),
    Method::new("isEmpty", 0..=0, |m, _| Ok(m.is_empty().into())),
    Method::new("containsKey", 1..=1, |m, a| {
        Ok(m.contains_key(&a.text(0)?).into())
    }),
    // As Java's Map.get: a missing key gives null.
    Method::new("get", 1..=1, |m, a| {
        Ok(m.get(&a.text(0)?).cloned().unwrap_or(Value::Null))
    }),
    // In the map's order: sorted, or as written when serde_json keeps insertion order.
    Method::new("keySet", 0..=0, |m, _| {
        Ok(m.keys().cloned().collect::<Vec<_>>().into())
    }),
    Method::new("toString", 0..=0, |m, _| {
        Ok(Value::Object(m.clone()).to_string().into())
    }),
];

/// Numbers and booleans.
const SCALAR_METHODS: &[Method<Value>] = &[Method::new("toString", 0..=0, |v, _| {
    Ok(v.to_string().into())
})];

/// Calls method `name` on `target`; `written` is the target as the user wrote it.
pub(super) fn call(
    target: &Value,
    written: &str,
    name: &str,
    values: &[Value],
    budget: &Budget,
) -> Evaluated<Value> {
    let arguments = Arguments {
        method: name,
        values,
        budget,
    };
    let call = Call {
        target,
        written,
        arguments: &arguments,
    };
    match target {
        Value::String(text) => call.run(STRING_METHODS, text.as_str()),
        Value::Array(items) => call.run(LIST_METHODS, items.as_slice()),
        Value::Object(map) => call.run(MAP_METHODS, map),
        Value::Number(_) | Value::Bool(_) => call.run(SCALAR_METHODS, target),
        Value::Null => Err(EvalError::new(format!(
            "cannot call {name}() on {written}, which is null; write {written}?.{name}() to get null instead"
        ))),
    }
}

/// Whether values like `value` have a method called `name` (for hints when `()` is missing).
pub(super) fn exists(value: &Value, name: &str) -> bool {
    fn has<T: ?Sized>(table: &[Method<T>], name: &str) -> bool {
        table.iter().any(|method| method.name == name)
    }
    match value {
        Value::String(_) => has(STRING_METHODS, name),
        Value::Array(_) => has(LIST_METHODS, name),
        Value::Object(_) => has(MAP_METHODS, name),
        Value::Number(_) | Value::Bool(_) => has(SCALAR_METHODS, name),
        Value::Null => false,
    }
}

struct Call<'a> {
    target: &'a Value,
    written: &'a str,
    arguments: &'a Arguments<'a>,
}

impl Call<'_> {
    fn run<T: ?Sized>(&self, table: &[Method<T>], receiver: &T) -> Evaluated<Value> {
        let name = self.arguments.method;
        let kind = type_name(self.target);
        let method = table
            .iter()
            .find(|method| method.name == name)
            .ok_or_else(|| {
                EvalError::new(format!(
                    "{} is a {kind}, which has no method {name}() ({kind} methods: {})",
                    self.written,
                    name_list(table.iter().map(|method| method.name))
                ))
            })?;
        let given = self.arguments.values.len();
        if !method.arity.contains(&given) {
            let (least, most) = (method.arity.start(), method.arity.end());
            let takes = match (least, most) {
                (0, 0) => "no arguments".to_string(),
                (1, 1) => "1 argument".to_string(),
                _ if least == most => format!("{least} arguments"),
                _ => format!("{least} or {most} arguments"),
            };
            return Err(EvalError::new(format!(
                "{name}() takes {takes}, but was given {given}"
            )));
        }
        (method.run)(receiver, self.arguments)
    }
}

/// The evaluated arguments of one call, with conversions that name the method when they fail.
struct Arguments<'a> {
    method: &'a str,
    values: &'a [Value],
    budget: &'a Budget,
}

impl Arguments<'_> {
    /// The argument at `position` (0-based); the count was checked before any method runs.
    fn value(&self, position: usize) -> &Value {
        self.values.get(position).unwrap_or(&Value::Null)
    }

    fn text(&self, position: usize) -> Evaluated<String> {
        let value = self.value(position);
        scalar_text(value).ok_or_else(|| self.refused(position, "text", value))
    }

    /// A whole number, or a string that reads as one (as SpEL would convert it).
    fn index(&self, position: usize) -> Evaluated<i64> {
        let value = self.value(position);
        whole_number(value).ok_or_else(|| self.refused(position, "a whole number", value))
    }

    fn regex(&self, position: usize) -> Evaluated<Regex> {
        let pattern = self.text(position)?;
        Regex::new(&pattern).map_err(bad_regex(self, position))
    }

    fn refused(&self, position: usize, wanted: &str, value: &Value) -> EvalError {
        EvalError::new(format!(
            "{}() needs {wanted} as argument {}, but got {}",
            self.method,
            position + 1,
            describe(value)
        ))
    }
}

/// A whole number in `value`, which may be a string such as a parameter's "2".
pub(super) fn whole_number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `index` as a position in a list of `length` items, or an error that says how many there are.
pub(super) fn position(length: usize, index: i64) -> Evaluated<usize> {
    usize::try_from(index)
        .ok()
        .filter(|&position| position < length)
        .ok_or_else(|| {
            EvalError::new(format!(
                "index {index} is out of range: the list has {} (indexes start at 0)",
                count(length, "item")
            ))
        })
}

/// Turns a regex problem into a message naming the pattern given as argument `position`.
fn bad_regex<'a>(
    arguments: &'a Arguments<'_>,
    position: usize,
) -> impl Fn(String) -> EvalError + 'a {
    move |problem| {
        let pattern = scalar_text(arguments.value(position)).unwrap_or_default();
        EvalError::new(format!(
            "{}(): {}",
            arguments.method,
            bad_pattern(&pattern, &problem)
        ))
    }
}

/// The message for a pattern the regex engine refused; the pattern is shown as written, since
/// JSON quoting would double its backslashes.
pub(super) fn bad_pattern(pattern: &str, problem: &str) -> String {
    format!("bad regex \"{pattern}\": {problem}")
}

fn equals_ignore_case(s: &str, arguments: &Arguments<'_>) -> Evaluated<Value> {
    let same = arguments
        .value(0)
        .as_str()
        .is_some_and(|other| other.to_lowercase() == s.to_lowercase());
    Ok(same.into())
}

fn index_of(s: &str, arguments: &Arguments<'_>) -> Evaluated<Value> {
    let wanted = arguments.text(0)?;
    let index = s
        .find(&wanted)
        .map_or(-1, |byte| s[..byte].chars().count() as i64);
    Ok(index.into())
}

/// Java's `substring(begin[, end])`, on characters: an error when out of range, never a panic.
fn substring(s: &str, arguments: &Arguments<'_>) -> Evaluated<Value> {
    let length = s.chars().count();
    let begin = arguments.index(0)?;
    let end = match arguments.values.len() {
        2 => arguments.index(1)?,
        _ => length as i64,
    };
    let in_range = 0 <= begin && begin <= end && end <= length as i64;
    if !in_range {
        return Err(EvalError::new(format!(
            "substring({begin}, {end}) is out of range for {} ({}; \
             0 <= begin <= end <= {length} is needed)",
            shown(&Value::String(s.to_string())),
            count(length, "character")
        )));
    }
    let (begin, end) = (begin as usize, end as usize);
    Ok(s.chars()
        .skip(begin)
        .take(end - begin)
        .collect::<String>()
        .into())
}

/// The character at `index` of `s`, as a one-character string (`'abc'[1]`, `charAt(1)`).
pub(super) fn char_at(s: &str, index: i64) -> Evaluated<Value> {
    let found = usize::try_from(index)
        .ok()
        .and_then(|index| s.chars().nth(index));
    let c = found.ok_or_else(|| {
        EvalError::new(format!(
            "index {index} is out of range for {} ({}; indexes start at 0)",
            shown(&Value::String(s.to_string())),
            count(s.chars().count(), "character")
        ))
    })?;
    Ok(c.to_string().into())
}

fn replace_all(s: &str, arguments: &Arguments<'_>) -> Evaluated<Value> {
    let regex = arguments.regex(0)?;
    let replacement = arguments.text(1)?;
    let replaced = regex
        .replace_all(s, &replacement, arguments.budget)?
        .map_err(bad_regex(arguments, 0))?;
    Ok(replaced.into())
}

fn split(s: &str, arguments: &Arguments<'_>) -> Evaluated<Value> {
    let separator = arguments.text(0)?;
    let mut parts: Vec<&str> = if separator.is_empty() {
        // Java splits "abc" on "" into its characters.
        s.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect()
    } else {
        s.split(separator.as_str()).collect()
    };
    // Java keeps a text without the separator whole (even ""), and otherwise drops the
    // empty strings at the end.
    if parts.len() > 1 {
        while parts.last() == Some(&"") {
            parts.pop();
        }
    }
    Ok(parts
        .into_iter()
        .map(Value::from)
        .collect::<Vec<_>>()
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_listed_method_runs() {
        let calls = [
            (
                json!("a"),
                STRING_METHODS
                    .iter()
                    .map(|m| (m.name, m.arity.clone()))
                    .collect::<Vec<_>>(),
            ),
            (
                json!([1]),
                LIST_METHODS
                    .iter()
                    .map(|m| (m.name, m.arity.clone()))
                    .collect(),
            ),
            (
                json!({"0": 1}),
                MAP_METHODS
                    .iter()
                    .map(|m| (m.name, m.arity.clone()))
                    .collect(),
            ),
            (
                json!(1),
                SCALAR_METHODS
                    .iter()
                    .map(|m| (m.name, m.arity.clone()))
                    .collect(),
            ),
        ];
        for (target, methods) in calls {
            for (name, arity) in methods {
                let arguments = vec![json!("0"); *arity.end()];
                let result = call(&target, "x", name, &arguments, &Budget::new());
                assert!(result.is_ok(), "{name} on {target}: {result:?}");
            }
        }
    }

    #[test]
    fn split_follows_java_except_that_the_separator_is_literal() {
        let split = |s: &str, separator: &str| {
            call(&json!(s), "s", "split", &[json!(separator)], &Budget::new()).unwrap()
        };
        assert_eq!(split("a,b,,c,,", ","), json!(["a", "b", "", "c"]));
        assert_eq!(split("a.b", "."), json!(["a", "b"]));
        assert_eq!(split("", ","), json!([""]));
        assert_eq!(split("abc", ""), json!(["a", "b", "c"]));
    }
}
