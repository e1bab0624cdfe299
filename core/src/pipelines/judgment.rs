//! What the Manual Judgment page shows: one judgment of one execution, made on the server from
//! the whole execution. The page is for an approver on a phone, so its bundle carries this small
//! view instead of an execution's deserializer (stages, contexts, the pipeline's configuration).

use serde::{Deserialize, Serialize};

use super::execution::{Execution, ExecutionStatus, LastModified, StageExecution};
use crate::ids::ExecutionId;

/// One execution, as far as its Manual Judgment page needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgmentView {
    pub application: String,
    pub execution_id: ExecutionId,
    /// The pipeline's name.
    pub pipeline: String,
    pub status: ExecutionStatus,
    /// The judgment the page is about; `None` when the execution has none to show.
    pub stage: Option<JudgmentStage>,
}

/// A Manual Judgment stage: what it asks, who may answer, and what was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgmentStage {
    pub ref_id: String,
    pub name: String,
    pub status: ExecutionStatus,
    pub instructions: Option<String>,
    pub continue_button: Button,
    pub stop_button: Button,
    /// The inputs to choose from (`judgmentInputs[].value`).
    pub options: Vec<String>,
    /// The roles that may decide; empty: anyone who may run the pipeline.
    pub roles: Vec<String>,
    /// Whether it continued, and the input chosen, once decided.
    pub decision: Option<(bool, Option<String>)>,
    /// Who changed the stage last and when: the decider, once decided.
    pub last_modified: Option<LastModified>,
}

/// A decision's button: its label, and the confirmation's ("Yes, continue").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub confirm: String,
}

impl Button {
    fn new(stage: &StageExecution, key: &str, default: &str) -> Button {
        let label = stage.context_text(key).unwrap_or_else(|| default.into());
        Button {
            confirm: format!("Yes, {}", label.to_lowercase()),
            label,
        }
    }
}

impl JudgmentStage {
    /// Whether it waits for a decision now.
    pub fn waiting(&self) -> bool {
        self.status == ExecutionStatus::Running && self.decision.is_none()
    }
}

impl JudgmentView {
    /// The page for `execution`: about the Manual Judgment `named` (by refId or id), else the
    /// one waiting, else the last one decided.
    pub fn of(execution: &Execution, named: Option<&str>) -> JudgmentView {
        let judgments = || {
            execution
                .stages
                .iter()
                .filter(|s| s.kind == "manualJudgment")
        };
        let stage = match named {
            Some(key) => judgments().find(|s| s.ref_id == key || s.id == key),
            None => execution
                .waiting_judgment()
                .or_else(|| judgments().rfind(|s| s.context.contains_key("judgmentStatus"))),
        };
        JudgmentView {
            application: execution.application.clone(),
            execution_id: execution.id,
            pipeline: execution.name.clone(),
            status: execution.status,
            stage: stage.map(|stage| JudgmentStage {
                ref_id: stage.ref_id.clone(),
                name: stage.name.clone(),
                status: stage.status,
                instructions: stage.context_text("instructions"),
                continue_button: Button::new(stage, "continueButtonLabel", "Continue"),
                stop_button: Button::new(stage, "stopButtonLabel", "Stop"),
                options: stage.judgment_options(),
                roles: stage.judgment_roles(),
                decision: stage.judgment_decision(),
                last_modified: stage.last_modified.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pipelines::model::Stage;

    fn execution(stages: &[(&str, ExecutionStatus, serde_json::Value)]) -> Execution {
        let stages = stages
            .iter()
            .map(|(ref_id, status, context)| {
                let mut settings = json!({
                    "refId": ref_id, "type": "manualJudgment", "name": format!("Judge {ref_id}")
                });
                if let (Some(settings), Some(context)) =
                    (settings.as_object_mut(), context.as_object())
                {
                    settings.extend(context.clone());
                }
                let stage: Stage = serde_json::from_value(settings).unwrap();
                StageExecution {
                    status: *status,
                    ..StageExecution::from_config(&stage, format!("s{ref_id}"))
                }
            })
            .collect();
        crate::pipelines::execution::fixture(stages)
    }

    #[test]
    fn the_page_is_about_the_named_then_the_waiting_then_the_last_decided_judgment() {
        use ExecutionStatus::{NotStarted, Running, Succeeded};
        let decided = json!({"judgmentStatus": "continue", "judgmentInput": "ship"});
        let e = execution(&[
            ("1", Succeeded, decided.clone()),
            (
                "2",
                Running,
                json!({"instructions": "  Look at the canary.  "}),
            ),
            ("3", Succeeded, decided),
            ("4", NotStarted, json!({})),
        ]);
        let about = |named| JudgmentView::of(&e, named).stage.map(|s| s.ref_id);
        assert_eq!(about(None).as_deref(), Some("2"), "the waiting one first");
        assert_eq!(about(Some("4")).as_deref(), Some("4"), "by refId");
        assert_eq!(about(Some("s1")).as_deref(), Some("1"), "by id");
        assert_eq!(about(Some("9")), None);
        let waiting = JudgmentView::of(&e, None).stage.unwrap();
        assert!(waiting.waiting());
        assert_eq!(waiting.instructions.as_deref(), Some("Look at the canary."));

        let done = execution(&[
            ("1", Succeeded, json!({"judgmentStatus": "stop"})),
            ("2", NotStarted, json!({})),
        ]);
        let last = JudgmentView::of(&done, None).stage.unwrap();
        assert_eq!(
            (last.ref_id.as_str(), last.decision.clone()),
            ("1", Some((false, None)))
        );
        assert!(!last.waiting());
        assert_eq!(JudgmentView::of(&execution(&[]), None).stage, None);
    }

    #[test]
    fn buttons_options_and_roles_come_from_the_stage() {
        let e = execution(&[(
            "1",
            ExecutionStatus::Running,
            json!({
                "continueButtonLabel": "Ship Ärger", "judgmentInputs": [{"value": "eu"}, {"value": ""}],
                "requiredJudgmentRoles": "release, ops"
            }),
        )]);
        let stage = JudgmentView::of(&e, None).stage.unwrap();
        assert_eq!(
            stage.continue_button,
            Button {
                label: "Ship Ärger".into(),
                confirm: "Yes, ship ärger".into()
            }
        );
        assert_eq!(stage.stop_button.confirm, "Yes, stop");
        assert_eq!(stage.options, ["eu"]);
        assert_eq!(stage.roles, ["release", "ops"]);
    }
}
