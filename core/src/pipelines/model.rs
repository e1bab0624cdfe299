//! Pipeline configurations in Spinnaker's JSON, so a team can bring its pipelines and take
//! them back: every field name is Spinnaker's, and every field Gennaker does not use — at the
//! pipeline, stage, trigger and parameter level, including whole stage types it does not run —
//! is kept in `extra` / `settings` and written back unchanged. Only the fields Gennaker acts on
//! are typed; an optional field absent on import stays absent on export.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A pipeline as Spinnaker's Front50 stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineConfig {
    /// A UUID; given by Gennaker when a pipeline is created without one.
    #[serde(default)]
    pub id: String,
    pub application: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<Trigger>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_config: Option<Vec<Parameter>>,
    #[serde(default)]
    pub stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Vec<Value>>,
    /// Runs one execution of this pipeline at a time; the others wait (NOT_STARTED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_concurrent: Option<bool>,
    /// With `limitConcurrent`: every waiting execution runs in turn; without it only the
    /// newest waiting one runs and the others are canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_waiting_pipelines: Option<bool>,
    /// Without `limitConcurrent`: at most this many run at once (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_executions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_artifacts: Option<Vec<Value>>,
    /// Everything else Spinnaker writes (`updateTs`, `lastModifiedBy`, `spelEvaluator`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PipelineConfig {
    pub fn is_disabled(&self) -> bool {
        self.disabled.unwrap_or(false)
    }

    pub fn limits_concurrency(&self) -> bool {
        self.limit_concurrent.unwrap_or(false)
    }

    pub fn keeps_waiting(&self) -> bool {
        self.keep_waiting_pipelines.unwrap_or(false)
    }

    pub fn parameters(&self) -> &[Parameter] {
        self.parameter_config.as_deref().unwrap_or_default()
    }

    pub fn stage(&self, ref_id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.ref_id == ref_id)
    }

    /// The stages just before and just after `ref_id` in graph order (see
    /// [`graph::order`](super::graph::order)): where "Move earlier" and "Move later" take it.
    pub fn neighbours(&self, ref_id: &str) -> (Option<String>, Option<String>) {
        let nodes = super::graph::nodes(&self.stages, |s| {
            (s.ref_id.as_str(), s.requisite_stage_ref_ids.as_slice())
        });
        let order = super::graph::order(&nodes);
        let Some(at) = order.iter().position(|&i| self.stages[i].ref_id == ref_id) else {
            return (None, None);
        };
        let named = |i: Option<&usize>| i.map(|&i| self.stages[i].ref_id.clone());
        let before = at.checked_sub(1).and_then(|b| order.get(b));
        (named(before), named(order.get(at + 1)))
    }

    /// Stages `a` and `b` change places in the graph and in the list: each takes what the
    /// other waited for and what waited for the other. The graph keeps its shape, so no
    /// circle can come of it.
    pub fn swap_places(&mut self, a: &str, b: &str) {
        let (Some(i), Some(j)) = (
            self.stages.iter().position(|s| s.ref_id == a),
            self.stages.iter().position(|s| s.ref_id == b),
        ) else {
            return;
        };
        let swapped = |r: &String| {
            if r == a {
                b.to_string()
            } else if r == b {
                a.to_string()
            } else {
                r.clone()
            }
        };
        for stage in &mut self.stages {
            stage.requisite_stage_ref_ids =
                stage.requisite_stage_ref_ids.iter().map(swapped).collect();
        }
        let requisites_of_i = std::mem::take(&mut self.stages[i].requisite_stage_ref_ids);
        self.stages[i].requisite_stage_ref_ids =
            std::mem::take(&mut self.stages[j].requisite_stage_ref_ids);
        self.stages[j].requisite_stage_ref_ids = requisites_of_i;
        self.stages.swap(i, j);
    }

    /// The stages whose type Gennaker cannot run, as "Name (type)".
    pub fn unsupported_stages(&self) -> Vec<String> {
        self.stages
            .iter()
            .filter(|s| StageType::parse(&s.kind).is_none())
            .map(|s| format!("{} ({})", s.name, s.kind))
            .collect()
    }
}

/// One stage: the fields every stage has, typed; the type's own fields in `settings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    /// Unique within the pipeline; what `requisiteStageRefIds` name.
    pub ref_id: String,
    #[serde(default)]
    pub requisite_stage_ref_ids: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_pipeline: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_pipeline: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_other_branches_then_fail: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_enabled: Option<StageEnabled>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_timeout: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_timeout_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// The stage type's own fields (`waitTime`, `judgmentInputs`, `clusters`, ...) and any
    /// field Gennaker does not know.
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

impl PipelineConfig {
    /// The Kubernetes accounts its stages name (`account`, `credentials`, and each deploy
    /// cluster's `account`), sorted, each once. An account written as an expression is named
    /// as written.
    pub fn accounts(&self) -> Vec<String> {
        let mut found = std::collections::BTreeSet::new();
        let text = |value: Option<&Value>| {
            value
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
        };
        for stage in &self.stages {
            found.extend(
                ["account", "credentials"]
                    .map(|key| text(stage.settings.get(key)))
                    .into_iter()
                    .flatten(),
            );
            if let Some(Value::Array(clusters)) = stage.settings.get("clusters") {
                found.extend(clusters.iter().filter_map(|c| text(c.get("account"))));
            }
        }
        found.into_iter().collect()
    }
}

/// What happens when a stage fails: Deck's four "If stage fails" choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureChoice {
    /// The stage is TERMINAL, running branches are canceled, the pipeline is TERMINAL.
    HaltPipeline,
    /// The stage is STOPPED; the pipeline succeeds if nothing else failed.
    HaltBranch,
    /// The stage is STOPPED; the other branches finish, then the pipeline is TERMINAL.
    HaltBranchThenFail,
    /// The stage is FAILED_CONTINUE and the pipeline goes on.
    Ignore,
}

impl FailureChoice {
    pub const ALL: [FailureChoice; 4] = [
        FailureChoice::HaltPipeline,
        FailureChoice::HaltBranch,
        FailureChoice::HaltBranchThenFail,
        FailureChoice::Ignore,
    ];

    /// Deck's label.
    pub fn label(self) -> &'static str {
        match self {
            FailureChoice::HaltPipeline => "halt the entire pipeline",
            FailureChoice::HaltBranch => "halt this branch of the pipeline",
            FailureChoice::HaltBranchThenFail => {
                "halt this branch and fail the pipeline once other branches complete"
            }
            FailureChoice::Ignore => "ignore the failure",
        }
    }

    /// Orca's reading of the three flags: `continuePipeline` wins, then `failPipeline`
    /// (absent means true), then `completeOtherBranchesThenFail`.
    pub fn from_flags(
        fail_pipeline: Option<bool>,
        continue_pipeline: Option<bool>,
        complete_other_branches_then_fail: Option<bool>,
    ) -> FailureChoice {
        if continue_pipeline == Some(true) {
            FailureChoice::Ignore
        } else if fail_pipeline.unwrap_or(true) {
            FailureChoice::HaltPipeline
        } else if complete_other_branches_then_fail == Some(true) {
            FailureChoice::HaltBranchThenFail
        } else {
            FailureChoice::HaltBranch
        }
    }

    /// The `failPipeline`, `continuePipeline`, `completeOtherBranchesThenFail` Deck writes.
    pub fn flags(self) -> (bool, bool, bool) {
        match self {
            FailureChoice::HaltPipeline => (true, false, false),
            FailureChoice::HaltBranch => (false, false, false),
            FailureChoice::HaltBranchThenFail => (false, false, true),
            FailureChoice::Ignore => (false, true, false),
        }
    }
}

impl Stage {
    /// What happens when the stage fails.
    pub fn failure_choice(&self) -> FailureChoice {
        FailureChoice::from_flags(
            self.fail_pipeline,
            self.continue_pipeline,
            self.complete_other_branches_then_fail,
        )
    }

    /// Sets the three flags as Deck does for `choice`.
    pub fn set_failure_choice(&mut self, choice: FailureChoice) {
        let (fail, continue_, complete_then_fail) = choice.flags();
        self.fail_pipeline = Some(fail);
        self.continue_pipeline = Some(continue_);
        self.complete_other_branches_then_fail = Some(complete_then_fail);
    }

    /// The stage's timeout, when it overrides the default.
    pub fn timeout_ms(&self) -> Option<i64> {
        self.stage_timeout_ms
            .filter(|_| self.override_timeout == Some(true))
    }

    /// The `stageEnabled` expression, when the stage is conditional (Orca: only type
    /// `expression` with a non-blank expression counts).
    pub fn enabled_expression(&self) -> Option<&str> {
        self.stage_enabled
            .as_ref()
            .filter(|e| e.kind == "expression")
            .and_then(|e| e.expression.as_deref())
            .filter(|e| !e.trim().is_empty())
    }

    /// A setting as text (numbers are written as text, as Spinnaker accepts both).
    pub fn text(&self, key: &str) -> Option<String> {
        match self.settings.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// `stageEnabled`: run the stage only when the expression is true.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageEnabled {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A trigger; only `manual` starts pipelines in this version, the others are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One of a pipeline's parameters, as Deck's "Parameters" section writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_options: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<ParameterOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParameterOption {
    pub value: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Parameter {
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false)
    }

    /// The allowed values, when the parameter has options.
    pub fn choices(&self) -> Option<Vec<&str>> {
        (self.has_options == Some(true)).then(|| {
            self.options
                .iter()
                .flatten()
                .map(|o| o.value.as_str())
                .collect()
        })
    }

    /// What the form shows: the label, or the name.
    pub fn title(&self) -> &str {
        self.label
            .as_deref()
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.name)
    }
}

/// The stage types Gennaker runs. Any other type is kept, shown as not supported, and a
/// pipeline that has one cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageType {
    Wait,
    ManualJudgment,
    CheckPreconditions,
    EvaluateVariables,
    Pipeline,
    Webhook,
    DeployManifest,
    BakeManifest,
    DeleteManifest,
    Deploy,
    ResizeServerGroup,
    DisableServerGroup,
    EnableServerGroup,
    DestroyServerGroup,
    FindImageFromCluster,
    ScaleDownCluster,
    ShrinkCluster,
    ScaleManifest,
    UndoRolloutManifest,
    RollingRestartManifest,
    RunJobManifest,
    Script,
    Jenkins,
}

impl StageType {
    pub const ALL: [StageType; 23] = [
        StageType::Deploy,
        StageType::DeployManifest,
        StageType::BakeManifest,
        StageType::DeleteManifest,
        StageType::ScaleManifest,
        StageType::UndoRolloutManifest,
        StageType::RollingRestartManifest,
        StageType::RunJobManifest,
        StageType::Script,
        StageType::Jenkins,
        StageType::ResizeServerGroup,
        StageType::DisableServerGroup,
        StageType::EnableServerGroup,
        StageType::DestroyServerGroup,
        StageType::FindImageFromCluster,
        StageType::ScaleDownCluster,
        StageType::ShrinkCluster,
        StageType::ManualJudgment,
        StageType::Wait,
        StageType::CheckPreconditions,
        StageType::EvaluateVariables,
        StageType::Pipeline,
        StageType::Webhook,
    ];

    /// Spinnaker's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            StageType::Wait => "wait",
            StageType::ManualJudgment => "manualJudgment",
            StageType::CheckPreconditions => "checkPreconditions",
            StageType::EvaluateVariables => "evaluateVariables",
            StageType::Pipeline => "pipeline",
            StageType::Webhook => "webhook",
            StageType::DeployManifest => "deployManifest",
            StageType::BakeManifest => "bakeManifest",
            StageType::DeleteManifest => "deleteManifest",
            StageType::Deploy => "deploy",
            StageType::ResizeServerGroup => "resizeServerGroup",
            StageType::DisableServerGroup => "disableServerGroup",
            StageType::EnableServerGroup => "enableServerGroup",
            StageType::DestroyServerGroup => "destroyServerGroup",
            StageType::FindImageFromCluster => "findImageFromCluster",
            StageType::ScaleDownCluster => "scaleDownCluster",
            StageType::ShrinkCluster => "shrinkCluster",
            StageType::ScaleManifest => "scaleManifest",
            StageType::UndoRolloutManifest => "undoRolloutManifest",
            StageType::RollingRestartManifest => "rollingRestartManifest",
            StageType::RunJobManifest => "runJobManifest",
            StageType::Script => "script",
            StageType::Jenkins => "jenkins",
        }
    }

    /// The stage type of Spinnaker's `type`; `runJob` is Deck's older name of Run Job (Manifest)
    /// (its alias there), kept as written.
    pub fn parse(kind: &str) -> Option<StageType> {
        match kind {
            "runJob" => Some(StageType::RunJobManifest),
            _ => StageType::ALL.into_iter().find(|t| t.as_str() == kind),
        }
    }

    /// Deck's name for it.
    pub fn label(self) -> &'static str {
        match self {
            StageType::Wait => "Wait",
            StageType::ManualJudgment => "Manual Judgment",
            StageType::CheckPreconditions => "Check Preconditions",
            StageType::EvaluateVariables => "Evaluate Variables",
            StageType::Pipeline => "Pipeline",
            StageType::Webhook => "Webhook",
            StageType::DeployManifest => "Deploy (Manifest)",
            StageType::BakeManifest => "Bake (Manifest)",
            StageType::DeleteManifest => "Delete (Manifest)",
            StageType::Deploy => "Deploy",
            StageType::ResizeServerGroup => "Resize Server Group",
            StageType::DisableServerGroup => "Disable Server Group",
            StageType::EnableServerGroup => "Enable Server Group",
            StageType::DestroyServerGroup => "Destroy Server Group",
            StageType::FindImageFromCluster => "Find Image from Cluster",
            StageType::ScaleDownCluster => "Scale Down Cluster",
            StageType::ShrinkCluster => "Shrink Cluster",
            StageType::ScaleManifest => "Scale (Manifest)",
            StageType::UndoRolloutManifest => "Undo Rollout (Manifest)",
            StageType::RollingRestartManifest => "Rolling Restart (Manifest)",
            StageType::RunJobManifest => "Run Job (Manifest)",
            StageType::Script => "Script",
            StageType::Jenkins => "Jenkins",
        }
    }

    /// What it does, for the type picker.
    pub fn description(self) -> &'static str {
        match self {
            StageType::Wait => "Waits a given time.",
            StageType::ManualJudgment => "Waits for a person to continue or stop the pipeline.",
            StageType::CheckPreconditions => {
                "Checks an expression, a stage's status or a cluster's size before going on."
            }
            StageType::EvaluateVariables => {
                "Evaluates expressions into variables for later stages."
            }
            StageType::Pipeline => "Runs another pipeline, and waits for it if asked.",
            StageType::Webhook => "Calls an HTTP endpoint, and can wait for a status.",
            StageType::DeployManifest => "Applies Kubernetes manifests (YAML or JSON).",
            StageType::BakeManifest => {
                "Renders a Helm chart or a kustomization into manifests, for a later Deploy (Manifest)."
            }
            StageType::DeleteManifest => "Deletes a Kubernetes object.",
            StageType::Deploy => {
                "Deploys an image as a new server group, with a strategy (None, Highlander, Red/Black)."
            }
            StageType::ResizeServerGroup => {
                "Resizes a server group of a cluster (the newest, previous, oldest, largest or a named one)."
            }
            StageType::DisableServerGroup => {
                "Takes a server group of a cluster out of its load balancers."
            }
            StageType::EnableServerGroup => {
                "Puts a server group of a cluster back into its load balancers."
            }
            StageType::DestroyServerGroup => "Deletes a server group of a cluster.",
            StageType::FindImageFromCluster => {
                "Finds the image a cluster runs, for later Deploy stages."
            }
            StageType::ScaleDownCluster => {
                "Resizes the older server groups of a cluster to 0, keeping the newest (or largest)."
            }
            StageType::ShrinkCluster => {
                "Deletes the older server groups of a cluster, keeping the newest (or largest)."
            }
            StageType::ScaleManifest => {
                "Scales a Kubernetes object (Deployment, ReplicaSet, StatefulSet)."
            }
            StageType::UndoRolloutManifest => "Rolls a Deployment back a number of revisions.",
            StageType::RollingRestartManifest => {
                "Restarts the Pods of a Deployment, StatefulSet or DaemonSet one after another."
            }
            StageType::RunJobManifest => {
                "Runs a Kubernetes Job to completion, with its logs and output properties."
            }
            StageType::Script => "Runs a shell script in a container image, as a Kubernetes Job.",
            StageType::Jenkins => {
                "Runs a Jenkins job with parameters and waits for it; its property file's values become outputs."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(edges: &[(&str, &[&str])]) -> PipelineConfig {
        let stages = edges
            .iter()
            .map(|(id, requisites)| json!({"refId": id, "name": id, "type": "wait", "requisiteStageRefIds": requisites}))
            .collect::<Vec<_>>();
        serde_json::from_value(json!({"application": "web", "name": "P", "stages": stages}))
            .expect("a pipeline")
    }

    fn shape(config: &PipelineConfig) -> Vec<(String, Vec<String>)> {
        config
            .stages
            .iter()
            .map(|s| (s.ref_id.clone(), s.requisite_stage_ref_ids.clone()))
            .collect()
    }

    #[test]
    fn moves_follow_graph_order_and_swap_places() {
        // Deploy ("1", listed first) waits for the Manual Judgment ("2") added after it.
        let mut config = chain(&[("1", &["2"]), ("2", &[])]);
        assert_eq!(
            config.neighbours("1"),
            (Some("2".into()), None),
            "Deploy runs last"
        );
        assert_eq!(config.neighbours("2"), (None, Some("1".into())));
        config.swap_places("1", "2");
        assert_eq!(
            shape(&config),
            vec![("2".into(), vec!["1".into()]), ("1".into(), vec![])]
        );
        assert_eq!(config.neighbours("1"), (None, Some("2".into())));
        // A chain 1 → 2 → 3: moving 3 earlier makes it 1 → 3 → 2.
        let mut config = chain(&[("1", &[]), ("2", &["1"]), ("3", &["2"])]);
        config.swap_places("3", "2");
        assert_eq!(
            shape(&config),
            vec![
                ("1".into(), vec![]),
                ("3".into(), vec!["1".into()]),
                ("2".into(), vec!["3".into()])
            ]
        );
        assert!(crate::pipelines::validate::find_cycle(&config).is_none());
    }

    /// A pipeline as Deck exports it, with fields and a stage type Gennaker does not use.
    fn exported() -> Value {
        json!({
            "application": "web",
            "name": "Deploy to prod",
            "id": "8d9a6a4e-5d0b-4c5e-9f5e-0c7a3f1b2e44",
            "index": 0,
            "keepWaitingPipelines": false,
            "limitConcurrent": true,
            "spelEvaluator": "v4",
            "lastModifiedBy": "alice",
            "updateTs": "1700000000000",
            "triggers": [{"type": "docker", "enabled": true, "account": "company", "repository": "team/web", "tag": "^v.*"}],
            "parameterConfig": [{"name": "env", "label": "Environment", "default": "staging", "required": true,
                "hasOptions": true, "options": [{"value": "staging"}, {"value": "prod"}], "pinned": false, "description": ""}],
            "stages": [
                {"refId": "1", "requisiteStageRefIds": [], "type": "bakeManifest", "name": "Bake",
                 "templateRenderer": "HELM3", "outputName": "web", "expectedArtifacts": [{"id": "a"}]},
                {"refId": "2", "requisiteStageRefIds": ["1"], "type": "manualJudgment", "name": "Approve",
                 "instructions": "Check the canary", "judgmentInputs": [{"value": "ship"}], "failPipeline": true,
                 "stageEnabled": {"type": "expression", "expression": "${parameters.env == 'prod'}"}},
                {"refId": "3", "requisiteStageRefIds": ["2"], "type": "kayentaCanary", "name": "Canary",
                 "analysisType": "realTime", "canaryConfig": {"scoreThresholds": {"marginal": 75, "pass": 95}}}
            ],
            "notifications": [{"type": "email", "address": "team@example.com", "when": ["pipeline.failed"]}],
            "expectedArtifacts": []
        })
    }

    #[test]
    fn an_exported_pipeline_round_trips_unchanged() {
        let original = exported();
        let config: PipelineConfig = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(config.stages.len(), 3);
        assert_eq!(
            config.parameters()[0].choices(),
            Some(vec!["staging", "prod"])
        );
        assert_eq!(
            config.stages[1].enabled_expression(),
            Some("${parameters.env == 'prod'}")
        );
        assert_eq!(
            config.unsupported_stages(),
            ["Canary (kayentaCanary)"],
            "Bake (Manifest) runs"
        );
        assert_eq!(serde_json::to_value(&config).unwrap(), original);
    }

    #[test]
    fn the_failure_choice_reads_orcas_flags() {
        let stage = |fail: Option<bool>, cont: Option<bool>, then_fail: Option<bool>| Stage {
            fail_pipeline: fail,
            continue_pipeline: cont,
            complete_other_branches_then_fail: then_fail,
            ..Stage::default()
        };
        assert_eq!(
            stage(None, None, None).failure_choice(),
            FailureChoice::HaltPipeline
        );
        assert_eq!(
            stage(Some(false), None, None).failure_choice(),
            FailureChoice::HaltBranch
        );
        assert_eq!(
            stage(Some(false), Some(false), Some(true)).failure_choice(),
            FailureChoice::HaltBranchThenFail
        );
        assert_eq!(
            stage(Some(true), Some(true), None).failure_choice(),
            FailureChoice::Ignore
        );
        for choice in FailureChoice::ALL {
            let mut s = Stage::default();
            s.set_failure_choice(choice);
            assert_eq!(s.failure_choice(), choice);
        }
    }
}
