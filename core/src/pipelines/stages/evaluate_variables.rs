//! Evaluate Variables: `variables`, names (each once) and values (expressions).

use serde_json::Value;

use crate::pipelines::reader::Reader;

pub(super) fn read(r: &mut Reader<'_>) -> Vec<(String, Value)> {
    let variables = r.objects("variables", |v| {
        let key = v.required_text("key", "the variable's name");
        v.expressions_in("value");
        (key, v.raw("value").cloned().unwrap_or(Value::Null))
    });
    let mut seen = Vec::new();
    for (i, (key, _)) in variables.iter().enumerate() {
        if let Some(key) = key {
            if seen.contains(key) {
                r.fail(
                    &format!("variables[{i}].key"),
                    format!("The variable {key:?} is set twice."),
                );
            }
            seen.push(key.clone());
        }
    }
    variables
        .into_iter()
        .filter_map(|(k, v)| k.map(|k| (k, v)))
        .collect()
}
