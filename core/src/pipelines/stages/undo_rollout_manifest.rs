//! Undo Rollout (Manifest): one object and `numRevisionsBack`.

use super::targets::{ManifestTarget, manifest_target};
use crate::pipelines::reader::Reader;

pub(super) fn read(r: &mut Reader<'_>) -> (ManifestTarget, u64) {
    let target = manifest_target(r);
    let back = r.count("numRevisionsBack").unwrap_or(1);
    if back == 0 {
        r.fail("numRevisionsBack", "Roll back at least 1 revision.");
    }
    (target, back)
}
