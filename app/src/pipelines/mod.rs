//! Pipelines: configurations and executions in Spinnaker's JSON, their validation, and the
//! settings of each stage type Gennaker runs. The engine that runs them is on the server
//! (`server/src/pipelines/`), on the same task runner as every other change.

pub mod execution;
pub mod model;
pub mod reader;
pub mod requests;
pub mod stages;
pub mod validate;
