//! What makes a pipeline configuration savable, checked the same way in the editor (as you
//! type) and on the server (before anything is stored): a name, unique stage refIds, stages
//! that depend only on stages that exist, no cycle, parameters that make sense, the known
//! fields of each supported stage type with the right type, and every expression's syntax.
//! Each problem names its place as a JSON path (`stages[2].requisiteStageRefIds[0]`).
//!
//! Stage types Gennaker does not run are not checked: they are kept as they are.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{PipelineConfig, StageType};
use super::reader::walk_strings;
use super::stages;
use super::windows;
use crate::error::FieldError;
use crate::expressions;

/// Every problem with `config`; empty when it can be saved.
pub fn validate(config: &PipelineConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(error) = too_large(config) {
        // Nothing else is checked: the rest of the work grows with the size.
        return vec![error];
    }
    if config.name.trim().is_empty() {
        errors.push(FieldError::new("name", "Give the pipeline a name."));
    } else if config.name.len() > 200 {
        errors.push(FieldError::new(
            "name",
            "A pipeline name has at most 200 characters.",
        ));
    }
    parameters(config, &mut errors);
    stage_graph(config, &mut errors);
    errors.extend(super::triggers::problems(config));
    errors.extend(super::notifications::problems(config));
    image_from_trigger(config, &mut errors);
    for (i, stage) in config.stages.iter().enumerate() {
        let path = format!("stages[{i}]");
        if let Some(expression) = stage
            .stage_enabled
            .as_ref()
            .and_then(|e| e.expression.as_ref())
            && let Err(error) = expressions::check(&as_template(expression))
        {
            errors.push(FieldError::new(
                &format!("{path}.stageEnabled.expression"),
                error.to_string(),
            ));
        }
        if let Some(timeout) = stage.stage_timeout_ms
            && timeout <= 0
        {
            errors.push(FieldError::new(
                &format!("{path}.stageTimeoutMs"),
                "A stage timeout must be more than 0 ms.",
            ));
        }
        match StageType::parse(&stage.kind) {
            Some(kind) => {
                stages::read(kind, stage, &path, true, &mut errors);
                windows::read(stage, &path, true, &mut errors);
            }
            None => {
                // Not run, but its expressions may still be evaluated by later stages' users;
                // nothing is checked so that it round-trips exactly.
            }
        }
    }
    errors
}

/// The most stages a pipeline may have. Real pipelines have tens; Deck's editor becomes
/// unusable around 500. Every walk over the stage graph is iterative, so this bounds time and
/// memory, not the stack.
pub const MAX_STAGES: usize = 1000;
/// The most stages one stage may depend on.
pub const MAX_REQUISITES: usize = 200;

/// Why the pipeline is larger than Gennaker takes, if it is.
fn too_large(config: &PipelineConfig) -> Option<FieldError> {
    if config.stages.len() > MAX_STAGES {
        return Some(FieldError::new(
            "stages",
            format!(
                "A pipeline has at most {MAX_STAGES} stages; this one has {}. Split it into pipelines that run one another (Pipeline stages).",
                config.stages.len()
            ),
        ));
    }
    config.stages.iter().enumerate().find_map(|(i, stage)| {
        (stage.requisite_stage_ref_ids.len() > MAX_REQUISITES).then(|| {
            FieldError::new(
                &format!("stages[{i}].requisiteStageRefIds"),
                format!(
                    "A stage depends on at most {MAX_REQUISITES} stages; {} depends on {}.",
                    stage.name,
                    stage.requisite_stage_ref_ids.len()
                ),
            )
        })
    })
}

/// `stageEnabled.expression` is written with or without `${}` in Deck.
pub fn as_template(expression: &str) -> String {
    let trimmed = expression.trim();
    if trimmed.contains("${") {
        trimmed.to_string()
    } else {
        format!("${{{trimmed}}}")
    }
}

fn parameters(config: &PipelineConfig, errors: &mut Vec<FieldError>) {
    let mut seen = BTreeSet::new();
    for (i, parameter) in config.parameters().iter().enumerate() {
        let path = format!("parameterConfig[{i}]");
        let name = parameter.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(
                &format!("{path}.name"),
                "Give the parameter a name.",
            ));
        } else if !seen.insert(name.to_string()) {
            errors.push(FieldError::new(
                &format!("{path}.name"),
                format!("Two parameters are named {name:?}."),
            ));
        }
        if let (Some(choices), Some(default)) = (parameter.choices(), parameter.default.as_deref())
            && !default.is_empty()
            && !choices.contains(&default)
        {
            errors.push(FieldError::new(
                &format!("{path}.default"),
                format!(
                    "The default {default:?} is not one of the options ({}).",
                    choices.join(", ")
                ),
            ));
        }
        if parameter.has_options == Some(true) && parameter.choices().is_some_and(|c| c.is_empty())
        {
            errors.push(FieldError::new(
                &format!("{path}.options"),
                "A parameter with options needs at least one option.",
            ));
        }
    }
}

/// A Deploy whose image comes from the trigger needs a Docker Registry trigger to come from.
fn image_from_trigger(config: &PipelineConfig, errors: &mut Vec<FieldError>) {
    let has_docker = config
        .triggers
        .iter()
        .flatten()
        .any(|t| t.kind == super::triggers::TriggerType::Docker.as_str());
    if has_docker {
        return;
    }
    for (i, stage) in config.stages.iter().enumerate() {
        if StageType::parse(&stage.kind) != Some(StageType::Deploy) {
            continue;
        }
        let settings = stages::read(StageType::Deploy, stage, "", true, &mut Vec::new());
        if let stages::StageSettings::Deploy(clusters) = settings {
            for (j, cluster) in clusters.iter().enumerate() {
                if cluster.image_from_trigger {
                    errors.push(FieldError::new(
                        &format!("stages[{i}].clusters[{j}].containers[0].imageDescription"),
                        "The image comes from the Docker Registry trigger, and this pipeline has none: add one under Triggers, or choose the image.",
                    ));
                }
            }
        }
    }
}

fn stage_graph(config: &PipelineConfig, errors: &mut Vec<FieldError>) {
    let ref_ids: BTreeSet<&str> = config.stages.iter().map(|s| s.ref_id.as_str()).collect();
    let mut first_index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, stage) in config.stages.iter().enumerate() {
        let path = format!("stages[{i}].refId");
        if stage.ref_id.trim().is_empty() {
            errors.push(FieldError::new(&path, "Every stage needs a refId."));
        } else if let Some(first) = first_index.get(stage.ref_id.as_str()) {
            errors.push(FieldError::new(
                &path,
                format!(
                    "refId {:?} is used by stages[{first}] too; refIds must be unique.",
                    stage.ref_id
                ),
            ));
        } else {
            first_index.insert(&stage.ref_id, i);
        }
        if stage.kind.trim().is_empty() {
            errors.push(FieldError::new(
                &format!("stages[{i}].type"),
                "Every stage needs a type.",
            ));
        }
        for (j, requisite) in stage.requisite_stage_ref_ids.iter().enumerate() {
            let path = format!("stages[{i}].requisiteStageRefIds[{j}]");
            if requisite == &stage.ref_id {
                errors.push(FieldError::new(
                    &path,
                    format!("{} cannot depend on itself.", stage.name),
                ));
            } else if !ref_ids.contains(requisite.as_str()) {
                errors.push(FieldError::new(
                    &path,
                    format!(
                        "{} depends on refId {requisite:?}, which no stage has.",
                        stage.name
                    ),
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(config) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| config.stages[i].name.as_str())
            .collect();
        errors.push(FieldError::new(
            &format!("stages[{}].requisiteStageRefIds", cycle[0]),
            format!(
                "The stages depend on each other in a circle: {}.",
                names.join(" → ")
            ),
        ));
    }
}

/// A cycle among the stages, as indexes, each depending on the next and the first repeated
/// at the end; `None` when the dependencies form a graph without cycles.
pub fn find_cycle(config: &PipelineConfig) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    // A duplicated refId counts as its first stage (the duplicate is reported on its own).
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, stage) in config.stages.iter().enumerate() {
        index.entry(stage.ref_id.as_str()).or_insert(i);
    }
    let requisites = |i: usize| -> Vec<usize> {
        config.stages[i]
            .requisite_stage_ref_ids
            .iter()
            .filter_map(|r| index.get(r.as_str()).copied())
            .filter(|&j| j != i) // reported as depending on itself
            .collect()
    };
    // Depth-first with an explicit stack (a stage and how many of its requisites were
    // followed), so a long chain of stages cannot overflow the call stack.
    let mut marks = vec![Mark::New; config.stages.len()];
    for root in 0..config.stages.len() {
        if marks[root] != Mark::New {
            continue;
        }
        marks[root] = Mark::Open;
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, requisites(root), 0)];
        while let Some((i, next, followed)) = stack.last_mut() {
            let Some(&j) = next.get(*followed) else {
                marks[*i] = Mark::Done;
                stack.pop();
                continue;
            };
            *followed += 1;
            match marks[j] {
                Mark::Open => {
                    // Read as "depends on": A → C means A depends on C.
                    let start = stack.iter().position(|(p, _, _)| *p == j).unwrap_or(0);
                    let mut cycle: Vec<usize> = stack[start..].iter().map(|(p, _, _)| *p).collect();
                    cycle.push(j);
                    return Some(cycle);
                }
                Mark::New => {
                    marks[j] = Mark::Open;
                    stack.push((j, requisites(j), 0));
                }
                Mark::Done => {}
            }
        }
    }
    None
}

/// Why the pipeline cannot start even though it can be saved: stage types and features
/// Gennaker does not run yet. Each names the stage.
pub fn blockers(config: &PipelineConfig) -> Vec<FieldError> {
    let mut found = Vec::new();
    for (i, stage) in config.stages.iter().enumerate() {
        let path = format!("stages[{i}]");
        if StageType::parse(&stage.kind).is_none() {
            found.push(FieldError::new(
                &format!("{path}.type"),
                format!(
                    "Stage {:?} is a {} stage, which Gennaker does not run yet; remove or replace it to start this pipeline.",
                    stage.name, stage.kind
                ),
            ));
        }
        for feature in stages::unsupported_features(stage, &path) {
            found.push(FieldError::new(
                &feature.field,
                format!("Stage {:?}: {}.", stage.name, feature.message),
            ));
        }
    }
    found
}

/// Every expression in the stage's settings, for the editor's checks.
pub fn expressions_of(stage: &super::model::Stage) -> Vec<String> {
    let mut found = Vec::new();
    for value in stage.settings.values() {
        walk_strings(value, &mut |s| {
            if expressions::has_expressions(s) {
                found.push(s.to_string());
            }
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(stages: serde_json::Value) -> PipelineConfig {
        serde_json::from_value(json!({"application": "web", "name": "Deploy", "stages": stages}))
            .unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_fork_and_a_join_in_any_order_is_valid() {
        let c = config(json!([
            {"refId": "4", "requisiteStageRefIds": ["2", "3"], "type": "wait", "name": "Join", "waitTime": 1},
            {"refId": "1", "requisiteStageRefIds": [], "type": "wait", "name": "Start", "waitTime": 1},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "wait", "name": "Left", "waitTime": 1},
            {"refId": "3", "requisiteStageRefIds": ["1"], "type": "wait", "name": "Right", "waitTime": 1}
        ]));
        assert_eq!(validate(&c), []);
        assert_eq!(find_cycle(&c), None);
    }

    #[test]
    fn duplicate_and_unknown_ref_ids_and_cycles_are_named() {
        let c = config(json!([
            {"refId": "1", "requisiteStageRefIds": ["3"], "type": "wait", "name": "A", "waitTime": 1},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "wait", "name": "B", "waitTime": 1},
            {"refId": "3", "requisiteStageRefIds": ["2", "9"], "type": "wait", "name": "C", "waitTime": 1},
            {"refId": "3", "requisiteStageRefIds": [], "type": "wait", "name": "D", "waitTime": 1}
        ]));
        let errors = validate(&c);
        let fields = fields(&errors);
        assert!(fields.contains(&"stages[3].refId"), "{errors:?}");
        assert!(
            fields.contains(&"stages[2].requisiteStageRefIds[1]"),
            "{errors:?}"
        );
        let cycle = errors
            .iter()
            .find(|e| e.message.contains("circle"))
            .expect("the cycle");
        assert!(cycle.message.contains("A → C → B → A"), "{cycle:?}");
    }

    #[test]
    fn parameters_are_checked() {
        let mut c = config(json!([]));
        c.parameter_config = serde_json::from_value(json!([
            {"name": "env", "hasOptions": true, "options": [{"value": "a"}], "default": "b"},
            {"name": "env"}
        ]))
        .unwrap();
        let errors = validate(&c);
        assert_eq!(
            fields(&errors),
            ["parameterConfig[0].default", "parameterConfig[1].name"]
        );
    }

    #[test]
    fn stages_gennaker_does_not_run_are_kept_and_block_the_start() {
        let c = config(json!([
            {"refId": "1", "requisiteStageRefIds": [], "type": "kayentaCanary", "name": "Bake", "anything": {"at": "all"}}
        ]));
        assert_eq!(validate(&c), []);
        let blockers = blockers(&c);
        assert_eq!(fields(&blockers), ["stages[0].type"]);
        assert!(
            blockers[0]
                .message
                .contains("\"Bake\" is a kayentaCanary stage")
        );
    }

    #[test]
    fn a_bad_stage_enabled_expression_is_refused() {
        let c = config(json!([
            {"refId": "1", "type": "wait", "name": "W", "waitTime": 1,
             "stageEnabled": {"type": "expression", "expression": "parameters.env =="}}
        ]));
        assert_eq!(fields(&validate(&c)), ["stages[0].stageEnabled.expression"]);
    }

    fn chain(n: usize) -> PipelineConfig {
        let stages: Vec<_> = (0..n)
            .map(|i| json!({"refId": i.to_string(), "type": "wait", "name": format!("W{i}"), "waitTime": 1,
                "requisiteStageRefIds": if i + 1 < n { vec![(i + 1).to_string()] } else { vec![] }}))
            .collect();
        config(json!(stages))
    }

    #[test]
    fn more_stages_than_the_limit_are_refused_naming_it() {
        let errors = validate(&chain(12_000));
        assert_eq!(fields(&errors), ["stages"]);
        assert!(
            errors[0]
                .message
                .contains("at most 1000 stages; this one has 12000"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_chain_at_the_limit_is_valid_and_cycles_are_found_without_recursion() {
        let long = chain(MAX_STAGES);
        assert_eq!(validate(&long), vec![]);
        // Far past the limit, the walk itself still needs no stack: a closing edge is found.
        let mut looped = chain(300_000);
        looped.stages[299_999].requisite_stage_ref_ids = vec!["0".into()];
        let cycle = find_cycle(&looped).expect("the circle");
        assert_eq!(cycle.len(), 300_001);
    }
}
