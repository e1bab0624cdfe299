//! Manual Judgment: `instructions`, and the options an approver picks from (`judgmentInputs`).

use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManualJudgment {
    pub instructions: String,
    /// The options an approver picks from (`judgmentInputs[].value`).
    pub options: Vec<String>,
}

pub(super) fn read(r: &mut Reader<'_>) -> ManualJudgment {
    ManualJudgment {
        instructions: r.text("instructions").unwrap_or_default(),
        options: r
            .objects("judgmentInputs", |o| o.text("value").unwrap_or_default())
            .into_iter()
            .filter(|v| !v.is_empty())
            .collect(),
    }
}
