//! Walks a JSON document (a stage's configuration) and evaluates every string in it,
//! remembering the path so that an error can say which field it came from.

use serde_json::{Map, Value};

use super::budget::Budget;
use super::{ExpressionError, evaluate_within as evaluate};

/// `value` with every string in it evaluated against `root`; see [`super::evaluate_all`].
pub(super) fn evaluate_strings(
    value: &Value,
    root: &Value,
    budget: &Budget,
) -> Result<Value, ExpressionError> {
    evaluate_within(value, root, budget, &mut Vec::new())
}

/// One step of the path to a string in a document.
enum Step<'v> {
    Key(&'v str),
    Item(usize),
}

fn evaluate_within<'v>(
    value: &'v Value,
    root: &Value,
    budget: &Budget,
    path: &mut Vec<Step<'v>>,
) -> Result<Value, ExpressionError> {
    match value {
        Value::String(text) => evaluate(text, root, budget).map_err(|error| {
            if path.is_empty() {
                error
            } else {
                error.at(render_path(path))
            }
        }),
        Value::Array(items) => {
            let mut evaluated = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push(Step::Item(index));
                evaluated.push(evaluate_within(item, root, budget, path)?);
                path.pop();
            }
            Ok(Value::Array(evaluated))
        }
        Value::Object(map) => {
            let mut evaluated = Map::new();
            for (key, item) in map {
                path.push(Step::Key(key));
                evaluated.insert(key.clone(), evaluate_within(item, root, budget, path)?);
                path.pop();
            }
            Ok(Value::Object(evaluated))
        }
        other => Ok(other.clone()),
    }
}

/// `clusters[0].imageDescription.tag`; keys that are not plain names are quoted:
/// `labels["app.kubernetes.io/name"]`.
fn render_path(path: &[Step<'_>]) -> String {
    let mut rendered = String::new();
    for step in path {
        match step {
            Step::Key(key) if is_plain_name(key) => {
                if !rendered.is_empty() {
                    rendered.push('.');
                }
                rendered.push_str(key);
            }
            Step::Key(key) => rendered.push_str(&format!("[{}]", Value::from(*key))),
            Step::Item(index) => rendered.push_str(&format!("[{index}]")),
        }
    }
    rendered
}

fn is_plain_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
