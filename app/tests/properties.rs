//! Property-based tests (proptest) of what a user's input reaches first: pipeline validation
//! over random stage graphs and random mutations of a real pipeline's JSON, and expression
//! evaluation over random text and random expressions. None may panic or overflow the stack
//! (the test threads have the default 2 MiB), and evaluation stays within its budgets.

use gennaker_app::expressions::{self, budget};
use gennaker_app::pipelines::graph::{columns, nodes};
use gennaker_app::pipelines::model::PipelineConfig;
use gennaker_app::pipelines::validate::{MAX_STAGES, find_cycle, validate};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A stage graph: refIds (some repeated, some empty) and requisites that may name nothing,
/// the stage itself, or close circles.
fn graphs() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    (1usize..300).prop_flat_map(|n| {
        let ref_id = prop_oneof![
            8 => (0..n).prop_map(|i| i.to_string()),
            1 => Just(String::new()),
            1 => "[a-z]{1,3}",
        ];
        let requisite = prop_oneof![
            9 => (0..n).prop_map(|i| i.to_string()),
            1 => "[a-z]{1,3}",
        ];
        prop::collection::vec((ref_id, prop::collection::vec(requisite, 0..4)), n)
    })
}

fn pipeline_of(graph: &[(String, Vec<String>)]) -> PipelineConfig {
    let stages: Vec<Value> = graph
        .iter()
        .map(|(id, requisites)| {
            json!({"refId": id, "requisiteStageRefIds": requisites, "type": "wait",
                   "name": format!("Wait {id}"), "waitTime": 1})
        })
        .collect();
    serde_json::from_value(json!({"application": "web", "name": "Random", "stages": stages}))
        .expect("a pipeline")
}

/// A Deck export with a bit of everything, for mutations.
fn deck_pipeline() -> Value {
    json!({
        "application": "web", "name": "Deploy", "keepWaitingPipelines": false,
        "limitConcurrent": true, "parameterConfig": [{"name": "env", "default": "prod",
            "hasOptions": true, "options": [{"value": "prod"}, {"value": "dev"}]}],
        "triggers": [{"type": "cron", "enabled": true, "cronExpression": "0 0 * * * ?"}],
        "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "wait", "name": "Wait", "waitTime": 5},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "manualJudgment", "name": "Approve",
             "judgmentInputs": [{"value": "ship"}], "stageEnabled": {"type": "expression", "expression": "${parameters.env == 'prod'}"}},
            {"refId": "3", "requisiteStageRefIds": ["1"], "type": "evaluateVariables", "name": "Vars",
             "variables": [{"key": "x", "value": "${trigger.user}"}]},
            {"refId": "4", "requisiteStageRefIds": ["2", "3"], "type": "webhook", "name": "Hook",
             "url": "http://127.0.0.1:9/x", "method": "POST", "payload": {"a": [1, {"b": "${x}"}]}},
            {"refId": "5", "requisiteStageRefIds": ["4"], "type": "pipeline", "name": "Child",
             "pipeline": "other", "waitForCompletion": true}
        ]
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        "\\$\\{[a-z.()#' ]{0,16}\\}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a path chosen by `choices` (one number per level) with `new`.
fn mutate(document: &mut Value, choices: &[usize], new: Value) {
    // The path is found by reading, then the value there is replaced (a JSON pointer).
    let mut pointer = String::new();
    let mut at: &Value = document;
    for &choice in choices {
        match at {
            Value::Array(items) if !items.is_empty() => {
                let i = choice % items.len();
                pointer.push_str(&format!("/{i}"));
                at = &items[i];
            }
            Value::Object(map) if !map.is_empty() => {
                let Some((key, value)) = map.iter().nth(choice % map.len()) else {
                    break;
                };
                pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")));
                at = value;
            }
            _ => break,
        }
    }
    if let Some(target) = document.pointer_mut(&pointer) {
        *target = new;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_graphs_validate_lay_out_and_report_real_cycles(graph in graphs()) {
        let config = pipeline_of(&graph);
        let _ = validate(&config);
        let laid_out = columns(&nodes(&graph, |(id, r)| (id.as_str(), r.as_slice())));
        let mut placed: Vec<usize> = laid_out.into_iter().flatten().collect();
        placed.sort_unstable();
        prop_assert_eq!(placed, (0..graph.len()).collect::<Vec<_>>());
        if let Some(cycle) = find_cycle(&config) {
            prop_assert_eq!(cycle.first(), cycle.last());
            for pair in cycle.windows(2) {
                let (from, to) = (&config.stages[pair[0]], &config.stages[pair[1]]);
                prop_assert!(from.requisite_stage_ref_ids.contains(&to.ref_id));
            }
        }
    }

    #[test]
    fn mutations_of_a_real_pipeline_never_panic(
        changes in prop::collection::vec((prop::collection::vec(any::<usize>(), 0..6), any_json()), 1..6)
    ) {
        let mut document = deck_pipeline();
        for (path, value) in changes {
            mutate(&mut document, &path, value);
        }
        if let Ok(config) = serde_json::from_value::<PipelineConfig>(document) {
            let _ = validate(&config);
        }
    }

    #[test]
    fn any_text_checks_and_evaluates_without_panicking(text in "(\\$\\{)?.{0,80}\\}?") {
        let root = json!({"trigger": {"user": "rick", "parameters": {"env": "prod"}}, "execution": {"stages": []}});
        let _ = expressions::check(&text);
        let _ = expressions::evaluate(&text, &root);
    }

}

proptest! {
    // Each case may spend up to the whole time budget: few cases.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn nested_expressions_stay_within_the_budgets(
        depth in 1usize..40,
        wrap in prop::collection::vec(0usize..5, 40),
    ) {
        let root = json!({"execution": {"text": "a\"b".repeat(2000), "list": vec!["x"; 100]}});
        let mut expression = "execution".to_string();
        for choice in wrap.iter().take(depth) {
            expression = match choice {
                0 => format!("#toJson({expression})"),
                1 => format!("({expression}).toString() + execution.text"),
                2 => format!("#toJson({expression}).replaceAll('a', 'aaaa')"),
                3 => format!("{{{expression}, execution.list}}"),
                _ => format!("#toJson({expression}).replace('\"', '\"\"')"),
            };
        }
        match expressions::evaluate(&format!("${{{expression}}}"), &root) {
            Ok(value) => prop_assert!(value.to_string().len() <= 2 * budget::MOST_BYTES),
            Err(error) => prop_assert!(!error.message().is_empty()),
        }
    }
}

#[test]
fn the_stage_limit_is_checked_before_anything_else() {
    let graph: Vec<(String, Vec<String>)> = (0..MAX_STAGES + 1)
        .map(|i| (i.to_string(), vec![(i + 1).to_string()]))
        .collect();
    let errors = validate(&pipeline_of(&graph));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "stages");
}
