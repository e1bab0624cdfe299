//! Reads a stage's settings (a JSON object in Spinnaker's shape) into typed values, collecting
//! every problem with its field path (`stages[2].clusters[0].targetSize`) instead of stopping
//! at the first.
//!
//! Two modes. Before a run (saving, editing) a string holding an expression (`${...}`) stands
//! for any type: only its syntax is checked, and the typed value is absent. At a run the
//! settings have been evaluated first, so every value is what it says.

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::expressions;

pub struct Reader<'a> {
    object: &'a Map<String, Value>,
    /// The path of `object`, such as `stages[2]`.
    path: String,
    /// Expressions stand for any type (before a run).
    lenient: bool,
    errors: &'a mut Vec<FieldError>,
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Reader<'a> {
    pub fn new(
        object: &'a Map<String, Value>,
        path: impl Into<String>,
        lenient: bool,
        errors: &'a mut Vec<FieldError>,
    ) -> Reader<'a> {
        Reader {
            object,
            path: path.into(),
            lenient,
            errors,
        }
    }

    /// The path of `key` in this object.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn fail(&mut self, key: &str, message: impl Into<String>) {
        let path = self.path_of(key);
        self.errors.push(FieldError::new(&path, message));
    }

    /// The raw value, if set (null counts as not set).
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Whether `value` is an expression to be evaluated at run time (and so any type now).
    fn deferred(&mut self, key: &str, value: &Value) -> bool {
        let Value::String(text) = value else {
            return false;
        };
        if !expressions::has_expressions(text) {
            return false;
        }
        if let Err(error) = expressions::check(text) {
            self.fail(key, error.to_string());
            return true;
        }
        self.lenient
    }

    fn wrong(&mut self, key: &str, wanted: &str, value: &Value) {
        self.fail(
            key,
            format!(
                "{} must be {wanted}, not {}.",
                self.path_of(key),
                describe(value)
            ),
        );
    }

    /// Text; numbers and booleans are taken as their text, as Spinnaker does.
    pub fn text(&mut self, key: &str) -> Option<String> {
        let value = self.raw(key)?;
        if let Value::String(text) = value {
            if let Err(error) = check_expressions(text) {
                self.fail(key, error);
            }
            return Some(text.clone());
        }
        match value {
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.wrong(key, "text", other);
                None
            }
        }
    }

    /// Text that must be there and not blank.
    pub fn required_text(&mut self, key: &str, what: &str) -> Option<String> {
        match self.text(key) {
            Some(text) if !text.trim().is_empty() => Some(text),
            Some(_) | None => {
                self.fail(key, format!("Give {what}."));
                None
            }
        }
    }

    /// A whole number ≥ 0; text holding one is taken too.
    pub fn count(&mut self, key: &str) -> Option<u64> {
        let value = self.raw(key)?;
        if self.deferred(key, value) {
            return None;
        }
        let parsed = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.fail(
                key,
                format!(
                    "{} must be a whole number of 0 or more, not {value}.",
                    self.path_of(key)
                ),
            );
        }
        parsed
    }

    /// true or false; the text "true"/"false" is taken too.
    pub fn flag(&mut self, key: &str) -> Option<bool> {
        let value = self.raw(key)?;
        if self.deferred(key, value) {
            return None;
        }
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            other => {
                self.wrong(key, "true or false", other);
                None
            }
        }
    }

    /// A list of objects, each read by `item` with its own reader.
    pub fn objects<T>(&mut self, key: &str, mut item: impl FnMut(&mut Reader<'_>) -> T) -> Vec<T> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        if self.deferred(key, value) {
            return Vec::new();
        }
        let Value::Array(items) = value else {
            self.wrong(key, "a list", value);
            return Vec::new();
        };
        let mut read = Vec::new();
        for (i, element) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.path_of(key));
            match element {
                Value::Object(object) => {
                    let mut reader = Reader::new(object, path, self.lenient, self.errors);
                    read.push(item(&mut reader));
                }
                other => {
                    self.errors.push(FieldError::new(
                        &path,
                        format!("{path} must be an object, not {}.", describe(other)),
                    ));
                }
            }
        }
        read
    }

    /// One nested object, read by `item`.
    pub fn object<T>(&mut self, key: &str, item: impl FnOnce(&mut Reader<'_>) -> T) -> Option<T> {
        let value = self.raw(key)?;
        match value {
            Value::Object(object) => {
                let path = self.path_of(key);
                let mut reader = Reader::new(object, path, self.lenient, self.errors);
                Some(item(&mut reader))
            }
            other => {
                self.wrong(key, "an object", other);
                None
            }
        }
    }

    /// A list of texts (numbers taken as text).
    pub fn texts(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        if self.deferred(key, value) {
            return Vec::new();
        }
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    other => {
                        self.fail(
                            &format!("{key}[{i}]"),
                            format!("must be text, not {}.", describe(other)),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.wrong(key, "a list of text", other);
                Vec::new()
            }
        }
    }

    /// A list of whole numbers (HTTP status codes, say).
    pub fn numbers(&mut self, key: &str) -> Vec<u64> {
        self.texts(key)
            .into_iter()
            .filter_map(|text| match text.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.fail(key, format!("{text:?} is not a whole number."));
                    None
                }
            })
            .collect()
    }

    /// An object of texts (`nodeSelector`, HTTP headers).
    pub fn text_map(&mut self, key: &str) -> Vec<(String, String)> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        match value {
            Value::Object(object) => object
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    other => {
                        self.fail(
                            &format!("{key}.{k}"),
                            format!("must be text, not {}.", describe(other)),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.wrong(key, "an object of text values", other);
                Vec::new()
            }
        }
    }

    /// Checks the syntax of every expression in `key`'s value, whatever its shape.
    pub fn expressions_in(&mut self, key: &str) {
        if let Some(value) = self.raw(key) {
            let mut problems = Vec::new();
            walk_strings(value, &mut |text| {
                if let Err(error) = check_expressions(text) {
                    problems.push(error);
                }
            });
            for problem in problems {
                self.fail(key, problem);
            }
        }
    }
}

fn check_expressions(text: &str) -> Result<(), String> {
    if expressions::has_expressions(text) {
        expressions::check(text).map_err(|e| e.to_string())
    } else {
        Ok(())
    }
}

/// Calls `visit` with every string inside `value`.
pub fn walk_strings(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => visit(s),
        Value::Array(items) => items.iter().for_each(|v| walk_strings(v, visit)),
        Value::Object(object) => object.values().for_each(|v| walk_strings(v, visit)),
        _ => {}
    }
}
