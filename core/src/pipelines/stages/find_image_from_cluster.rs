//! Find Image from Cluster: the cluster, which server group's image (`selectionStrategy`), only
//! enabled ones or not.

use super::targets::{ClusterRef, cluster_ref};
use crate::pipelines::reader::Reader;
use crate::tasks::model::ImagePick;

#[derive(Debug, Clone, PartialEq)]
pub struct FindImage {
    pub cluster: ClusterRef,
    pub pick: ImagePick,
    pub only_enabled: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> FindImage {
    let cluster = cluster_ref(r, true);
    let text = r
        .text("selectionStrategy")
        .unwrap_or_else(|| "NEWEST".into());
    let pick = ImagePick::parse(&text).unwrap_or_else(|| {
        r.fail(
            "selectionStrategy",
            format!("{text:?} is not a selection: use NEWEST, LARGEST, OLDEST or FAIL."),
        );
        ImagePick::Newest
    });
    FindImage {
        cluster,
        pick,
        only_enabled: r.flag("onlyEnabled").unwrap_or(true),
    }
}
