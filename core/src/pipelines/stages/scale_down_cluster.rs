//! Scale Down Cluster, with Deck's field names for its cleanup.

use super::targets::{Cleanup, cleanup};
use crate::pipelines::reader::Reader;

pub(super) fn read(r: &mut Reader<'_>) -> Cleanup {
    cleanup(
        r,
        "remainingFullSizeServerGroups",
        "preferLargerOverNewer",
        "allowScaleDownActive",
    )
}
