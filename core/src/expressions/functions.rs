//! Spinnaker's helper functions, called with `#`: `#toInt('3')`, `#stage('Deploy')`, ….
//!
//! Each takes exactly one argument, so the parser checks the count and the tree holds a
//! single argument. Of Spinnaker's other helpers, those that reach the network or the
//! cluster (`#fromUrl`, `#jsonFromUrl`, `#manifestLabelValue`, `#deployedServerGroups`, …)
//! and the rest (`#readYaml`, `#toBase64`, `#stageExists`, `#stageByRefId`, `#currentStage`,
//! `#pipelineId`, …) are not provided. `#triggerResolvedArtifact('name')` gives an artifact
//! bound at the start (see `pipelines::artifacts`).

use std::borrow::Cow;

use serde_json::Value;

use super::budget::Budget;
use super::error::{EvalError, Evaluated};
use super::values::{Numeric, describe, name_list, scalar_text, shown};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Function {
    ToInt,
    ToFloat,
    ToBoolean,
    ToJson,
    ReadJson,
    Alphanumerical,
    Stage,
    Judgment,
    TriggerResolvedArtifact,
}

/// Every name a function answers to; `judgement` is Spinnaker's alias for `judgment`.
const NAMES: [(&str, Function); 10] = [
    ("toInt", Function::ToInt),
    ("toFloat", Function::ToFloat),
    ("toBoolean", Function::ToBoolean),
    ("toJson", Function::ToJson),
    ("readJson", Function::ReadJson),
    ("alphanumerical", Function::Alphanumerical),
    ("stage", Function::Stage),
    ("judgment", Function::Judgment),
    ("judgement", Function::Judgment),
    ("triggerResolvedArtifact", Function::TriggerResolvedArtifact),
];

/// The only `#name` that is not a function.
pub(super) const ROOT_VARIABLE: &str = "root";

impl Function {
    pub fn named(name: &str) -> Option<Function> {
        NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, function)| function)
    }

    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|&&(_, function)| function == self)
            .map_or("?", |(name, _)| name)
    }

    /// Every function and variable, for the message about an unknown one.
    pub fn all_names() -> String {
        let names = NAMES.iter().map(|(name, _)| *name).chain([ROOT_VARIABLE]);
        name_list(names)
    }

    /// Applies the function to its argument. Stage lookups borrow from `root`; `#toJson`
    /// writes no more text than the budget allows.
    pub fn call<'r>(
        self,
        argument: &Value,
        root: &'r Value,
        budget: &Budget,
    ) -> Evaluated<Cow<'r, Value>> {
        let owned = match self {
            Function::ToInt => to_int(argument)?,
            Function::ToFloat => to_float(argument)?,
            Function::ToBoolean => to_boolean(argument)?,
            Function::ToJson => Value::String(budget.json_text(argument)?),
            Function::ReadJson => read_json(argument)?,
            Function::Alphanumerical => {
                let text = self.text(argument)?;
                Value::String(text.chars().filter(char::is_ascii_alphanumeric).collect())
            }
            Function::Stage => return Ok(Cow::Borrowed(self.stage(argument, root)?)),
            Function::Judgment => return self.judgment(argument, root).map(Cow::Borrowed),
            Function::TriggerResolvedArtifact => {
                return self.resolved_artifact(argument, root).map(Cow::Borrowed);
            }
        };
        Ok(Cow::Owned(owned))
    }

    fn text(self, argument: &Value) -> Evaluated<String> {
        scalar_text(argument).ok_or_else(|| {
            EvalError::new(format!(
                "#{} needs text, but got {}",
                self.name(),
                describe(argument)
            ))
        })
    }

    /// The stage of this execution named by the argument: the first of `execution.stages`
    /// whose `name` is equal to it.
    fn stage<'r>(self, argument: &Value, root: &'r Value) -> Evaluated<&'r Value> {
        let name = self.text(argument)?;
        let stages = root
            .pointer("/execution/stages")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                EvalError::new(format!(
                    "#{} looks for stages in execution.stages, which is not available here",
                    self.name()
                ))
            })?;
        let name_of = |stage: &'r Value| stage.get("name").and_then(Value::as_str);
        stages
            .iter()
            .find(|stage| name_of(stage) == Some(name.as_str()))
            .ok_or_else(|| {
                EvalError::new(format!(
                    "there is no stage named {name:?} in this execution (its stages: {})",
                    name_list(stages.iter().filter_map(name_of))
                ))
            })
    }

    /// The artifact bound at the start to the expected artifact whose bound artifact has this
    /// name (Orca's `#triggerResolvedArtifact`), from `trigger.resolvedExpectedArtifacts`.
    fn resolved_artifact<'r>(self, argument: &Value, root: &'r Value) -> Evaluated<&'r Value> {
        let name = self.text(argument)?;
        let bound: Vec<&'r Value> = root
            .pointer("/trigger/resolvedExpectedArtifacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("boundArtifact"))
            .collect();
        let name_of = |artifact: &&'r Value| artifact.get("name").and_then(Value::as_str);
        bound
            .iter()
            .find(|a| name_of(a) == Some(name.as_str()))
            .copied()
            .ok_or_else(|| {
                EvalError::new(format!(
                    "no artifact named {name:?} was bound when the execution started (bound: {})",
                    name_list(bound.iter().filter_map(name_of))
                ))
            })
    }

    /// What the approver chose in the named Manual Judgment stage.
    fn judgment<'r>(self, argument: &Value, root: &'r Value) -> Evaluated<&'r Value> {
        let stage = self.stage(argument, root)?;
        stage
            .pointer("/context/judgmentInput")
            .filter(|input| !input.is_null())
            .ok_or_else(|| {
                EvalError::new(format!(
                    "stage {} has no judgment yet (its context has no judgmentInput)",
                    shown(argument)
                ))
            })
    }
}

fn to_int(argument: &Value) -> Evaluated<Value> {
    let whole = match argument {
        Value::Number(number) => match Numeric::of(number) {
            Numeric::Whole(whole) => Some(whole),
            Numeric::Fraction(_) => None,
        },
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    whole.map(Value::from).ok_or_else(|| {
        EvalError::new(format!(
            "#toInt cannot turn {} into a whole number",
            shown(argument)
        ))
    })
}

fn to_float(argument: &Value) -> Evaluated<Value> {
    let number = match argument {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    number
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| {
            EvalError::new(format!(
                "#toFloat cannot turn {} into a number",
                shown(argument)
            ))
        })
}

/// As Java's `Boolean.valueOf`: "true" in any case is true, any other string (such as an
/// empty parameter) and null are false. Numbers, lists and maps are refused rather than
/// quietly becoming false.
fn to_boolean(argument: &Value) -> Evaluated<Value> {
    match argument {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(text) => Ok(Value::Bool(text.trim().eq_ignore_ascii_case("true"))),
        Value::Null => Ok(Value::Bool(false)),
        other => Err(EvalError::new(format!(
            "#toBoolean cannot turn {} into true or false",
            describe(other)
        ))),
    }
}

fn read_json(argument: &Value) -> Evaluated<Value> {
    let Value::String(text) = argument else {
        return Err(EvalError::new(format!(
            "#readJson needs JSON text (a string), but got {}",
            describe(argument)
        )));
    };
    serde_json::from_str(text).map_err(|error| {
        EvalError::new(format!(
            "#readJson could not read {}: {error}",
            shown(argument)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_named_back() {
        for (name, function) in NAMES {
            assert_eq!(Function::named(name), Some(function));
        }
        assert_eq!(Function::Judgment.name(), "judgment");
        assert_eq!(Function::named("toInteger"), None);
    }
}
