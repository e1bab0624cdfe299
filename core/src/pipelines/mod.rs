//! Pipelines: configurations and executions in Spinnaker's JSON, their validation, and the
//! settings of each stage type Gennaker runs. The engine that runs them is on the server
//! (`server/src/pipelines/`), on the same task runner as every other change.

pub mod artifacts;
pub mod execution;
pub mod graph;
pub mod import;
pub mod json_lines;
pub mod judgment;
pub mod loops;
pub mod model;
pub mod notifications;
pub mod reader;
pub mod requests;
pub mod stages;
pub mod triggers;
pub mod validate;
pub mod windows;
pub mod write;
