//! The public API against a Spinnaker-like execution: a manual trigger with string
//! parameters, a bake and a deploy stage with context and outputs, and two Manual Judgment
//! stages, one decided and one not.

use serde_json::{Value, json};

use super::{ErrorKind, check, evaluate, evaluate_all, has_expressions};

fn root() -> Value {
    let parameters = json!({
        "env": "prod",
        "replicas": "3",
        "canary": "true",
        "regions": "us-east-1,eu-west-1",
        "empty": ""
    });
    json!({
        "application": "shop",
        "trigger": {
            "type": "manual",
            "user": "ana@example.com",
            "parameters": parameters,
            "buildInfo": { "number": 142, "tag": "v1.4.2" }
        },
        "parameters": parameters,
        "execution": {
            "id": "01J9Z3EXEC",
            "name": "Deploy to prod",
            "stages": [
                {
                    "name": "Bake", "refId": "1", "status": "SUCCEEDED", "type": "bakeManifest",
                    "context": { "imageName": "shop:1.4.2", "tags": ["stable", "v1"] },
                    "outputs": { "artifacts": [{ "reference": "registry.example.com/shop:1.4.2" }] }
                },
                {
                    "name": "Deploy", "refId": "2", "status": "SUCCEEDED", "type": "deployManifest",
                    "context": { "account": "prod-cluster", "replicas": 3, "namespace": "shop" },
                    "outputs": { "deployedServerGroup": "shop-v042", "healthy": true }
                },
                {
                    "name": "Approve", "refId": "3", "status": "SUCCEEDED", "type": "manualJudgment",
                    "context": { "judgmentStatus": "continue", "judgmentInput": "Promote" },
                    "outputs": {}
                },
                {
                    "name": "Approve rollback", "refId": "4", "status": "NOT_STARTED",
                    "type": "manualJudgment", "context": {}, "outputs": {}
                }
            ]
        },
        // A stage's own context, put at the root by the caller.
        "account": "prod-cluster",
        "previousVersion": null
    })
}

fn value(template: &str) -> Value {
    evaluate(template, &root()).unwrap_or_else(|error| panic!("{template}: {error}"))
}

fn error(template: &str) -> String {
    match evaluate(template, &root()) {
        Ok(value) => panic!("{template} gave {value} instead of an error"),
        Err(error) => error.to_string(),
    }
}

/// Checks each template's value, naming the template that fails.
fn assert_values(cases: &[(&str, Value)]) {
    for (template, expected) in cases {
        assert_eq!(&value(template), expected, "{template}");
    }
}

/// Checks that each template fails with exactly this message (the error's Display).
fn assert_errors(cases: &[(&str, &str)]) {
    for (template, expected) in cases {
        assert_eq!(error(template), *expected, "{template}");
    }
}

mod budgets;
mod errors;
mod values;
