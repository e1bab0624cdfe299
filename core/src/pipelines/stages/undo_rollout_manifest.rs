//! Undo Rollout (Manifest): one object and `numRevisionsBack`.

use super::targets::{ManifestObjects, ManifestTarget, manifest_target};
use crate::pipelines::reader::Reader;
use crate::tasks::model::ManifestSelector;

pub(super) fn read(r: &mut Reader<'_>) -> (ManifestTarget, u64) {
    let target = manifest_target(r);
    if let ManifestObjects::Selected(ManifestSelector::Label { .. }) = target.objects {
        r.fail(
            "mode",
            "Undo Rollout rolls back one Deployment: name it (static) or choose it from a cluster (dynamic), not by labels.",
        );
    }
    let back = r.count("numRevisionsBack").unwrap_or(1);
    if back == 0 {
        r.fail("numRevisionsBack", "Roll back at least 1 revision.");
    }
    (target, back)
}
