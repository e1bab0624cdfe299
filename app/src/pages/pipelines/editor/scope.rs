//! The stage a form inside the stage editor works on, given to every form as context.

/// The stage a form edits: its refId, and its path for errors (`stages[2]`).
#[derive(Clone)]
pub(super) struct StageScope {
    pub ref_id: String,
    pub base: String,
}

impl StageScope {
    /// The error path of `field` of this stage.
    pub fn path(&self, field: &str) -> String {
        format!("{}.{field}", self.base)
    }
}
