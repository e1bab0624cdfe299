//! Tasks in the store, as [`Records`]: `tasks/<id>.json`, indexed by application
//! (`task-index/applications/<application>/<id>`) and while running (`task-index/running/<id>`).
//! Start-up reads only the running tasks; tasks written by earlier versions (schema 1, no
//! markers) are indexed once, at the first start.

use gennaker_core::tasks::model::Task;
use gennaker_core::time::Timestamp;
use serde_json::Value;

use crate::store::records::{Layout, Record, Records};

pub use crate::store::records::Opened;

pub type TaskStore = Records<Task>;

pub const LAYOUT: Layout = Layout {
    bodies: "tasks/",
    groups: "task-index/applications/",
    running: "task-index/running/",
    indexed: "task-index/version-2",
};

impl Record for Task {
    type Kind = gennaker_core::ids::TaskKind;
    /// Schema 2: `origin` (an operation or a pipeline stage) instead of schema 1's `operation`.
    const SCHEMA: u64 = 2;

    fn id(&self) -> gennaker_core::ids::TaskId {
        self.id
    }

    fn group(&self) -> String {
        self.application.clone()
    }

    fn is_finished(&self) -> bool {
        self.status.is_finished()
    }

    fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }

    fn upgrade(schema: u64, mut task: Value) -> Value {
        if schema == 1
            && let Some(object) = task.as_object_mut()
            && let Some(operation) = object.remove("operation")
        {
            object.insert(
                "origin".into(),
                serde_json::json!({"kind": "operation", "operation": operation}),
            );
        }
        task
    }
}
