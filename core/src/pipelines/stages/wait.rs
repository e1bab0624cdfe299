//! Wait: `waitTime` seconds (or an expression, read when the stage runs).

use crate::pipelines::reader::Reader;

#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// Seconds; absent until evaluated when it is an expression.
    pub seconds: Option<u64>,
}

pub(super) fn read(r: &mut Reader<'_>) -> Wait {
    let seconds = r.count("waitTime");
    if r.raw("waitTime").is_none() {
        r.fail("waitTime", "Give the time to wait, in seconds.");
    }
    Wait { seconds }
}
