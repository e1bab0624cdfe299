//! Check Preconditions: `preconditions`, each an expression, a stage's status or a cluster's size.

use serde_json::Value;

use crate::pipelines::reader::Reader;

/// One of Check Preconditions' checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Precondition {
    /// An expression that must be true.
    Expression {
        expression: Value,
        failure_message: Option<String>,
        fail_pipeline: bool,
    },
    /// Another stage's status must be this one.
    StageStatus {
        stage_name: String,
        status: String,
        fail_pipeline: bool,
    },
    /// A cluster must have (==, <, >, <=, >=) this many server groups.
    ClusterSize {
        account: String,
        namespace: String,
        cluster: String,
        comparison: String,
        expected: Option<u64>,
        only_enabled: bool,
        fail_pipeline: bool,
    },
}

pub(super) fn read(r: &mut Reader<'_>) -> Vec<Precondition> {
    let read = r.objects("preconditions", |p| {
        let kind = p.text("type").unwrap_or_default();
        let fail_pipeline = p.flag("failPipeline").unwrap_or(true);
        p.object("context", |c| match kind.as_str() {
            "expression" => {
                c.expressions_in("expression");
                Some(Precondition::Expression {
                    expression: c.raw("expression").cloned().unwrap_or(Value::Null),
                    failure_message: c.text("failureMessage").filter(|m| !m.is_empty()),
                    fail_pipeline,
                })
            }
            "stageStatus" => Some(Precondition::StageStatus {
                stage_name: c
                    .required_text("stageName", "the stage whose status to check")
                    .unwrap_or_default(),
                status: c
                    .required_text("stageStatus", "the status it must have")
                    .unwrap_or_default(),
                fail_pipeline,
            }),
            "clusterSize" => {
                let comparison = c.text("comparison").unwrap_or_else(|| "==".into());
                if !["==", "<", ">", "<=", ">="].contains(&comparison.as_str()) {
                    c.fail("comparison", "Compare with ==, <, >, <= or >=.");
                }
                let namespace = c
                    .texts("regions")
                    .into_iter()
                    .next()
                    .or_else(|| c.text("namespace"))
                    .unwrap_or_default();
                Some(Precondition::ClusterSize {
                    account: c
                        .required_text("credentials", "the Kubernetes account")
                        .unwrap_or_default(),
                    namespace,
                    cluster: c
                        .required_text("cluster", "the cluster")
                        .unwrap_or_default(),
                    comparison,
                    expected: c.count("expected"),
                    only_enabled: c.flag("onlyEnabledServerGroups").unwrap_or(false),
                    fail_pipeline,
                })
            }
            other => {
                c.fail(
                    "type",
                    format!("{other:?} is not a precondition Gennaker checks: use expression, stageStatus or clusterSize."),
                );
                None
            }
        })
        .flatten()
    });
    read.into_iter().flatten().collect()
}
