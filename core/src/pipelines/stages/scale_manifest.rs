//! Scale (Manifest): one object and its `replicas`.

use super::targets::{ManifestTarget, manifest_target};
use crate::pipelines::reader::Reader;

pub(super) fn read(r: &mut Reader<'_>) -> (ManifestTarget, i64) {
    let target = manifest_target(r);
    let replicas = r.count("replicas");
    if r.raw("replicas").is_none() {
        r.fail("replicas", "Give the number of replicas.");
    }
    (target, replicas.map_or(0, |n| n as i64))
}
