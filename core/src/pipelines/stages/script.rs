//! Script: `command` run by `sh -c` in `image`, as a Job in `namespace` of `account`.

use super::targets::{account, first_text};
use crate::pipelines::reader::Reader;

/// Script: `command` run by `sh -c` in `image`, as a Job in `namespace` of `account`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub account: String,
    pub namespace: String,
    pub image: String,
    pub command: String,
    pub delete_job: bool,
}

pub(super) fn read(r: &mut Reader<'_>) -> Script {
    Script {
        account: account(r),
        namespace: ["namespace", "region", "location"]
            .into_iter()
            .find_map(|key| first_text(r, key))
            .unwrap_or_else(|| "default".to_string()),
        image: r
            .required_text("image", "the container image the script runs in")
            .unwrap_or_default(),
        command: r
            .required_text("command", "the script to run")
            .unwrap_or_default(),
        delete_job: r.flag("deleteJob").unwrap_or(false),
    }
}
