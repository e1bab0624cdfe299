//! Executions in the store, as [`Records`]: `executions/<id>.json`, indexed by application
//! and pipeline (`execution-index/pipelines/<application>/<pipeline id>/<id>`) and while
//! unfinished (`execution-index/running/<id>`), so start-up reads only the executions still
//! running or waiting.

use gennaker_core::ids::{ExecutionId, ExecutionKind};
use gennaker_core::pipelines::execution::Execution;
use gennaker_core::time::Timestamp;

use crate::store::records::{Layout, Record, Records};

pub type ExecutionStore = Records<Execution>;

pub const LAYOUT: Layout = Layout {
    bodies: "executions/",
    groups: "execution-index/pipelines/",
    running: "execution-index/running/",
    indexed: "execution-index/version-1",
};

impl Record for Execution {
    type Kind = ExecutionKind;
    const SCHEMA: u64 = 1;

    fn id(&self) -> ExecutionId {
        self.id
    }

    fn group(&self) -> String {
        format!("{}/{}", self.application, self.pipeline_config_id)
    }

    fn is_finished(&self) -> bool {
        self.status.is_complete()
    }

    fn ended_at(&self) -> Option<Timestamp> {
        self.end_time
    }
}
