//! Pipelines in the UI: the Pipelines tab (each pipeline with its recent executions, Start
//! Manual Execution, create and import), the editor, an execution's details, and the Manual
//! Judgment page an approver opens from a link on a phone.
//!
//! [`tab`] is the tab, with [`bars`] (an execution as a row of stage markers), [`start`] and
//! [`create`] (its dialogs); [`editor`] edits one pipeline; [`execution`] shows one run;
//! [`graph`] lays stages out by depth for the editor and the execution view; [`judgment`] is
//! the approver's page, kept apart so it can load on its own.

mod bars;
mod create;
pub mod editor;
pub mod execution;
mod graph;
pub mod judgment;
mod start;
pub mod tab;

use gennaker_core::ids::ExecutionId;

/// The editor of pipeline `id`.
pub fn editor_href(application: &str, id: &str) -> String {
    format!("/applications/{application}/pipelines/{id}/edit")
}

/// The details of execution `id`.
pub fn execution_href(application: &str, id: ExecutionId) -> String {
    format!("/applications/{application}/executions/{id}")
}

/// The page where the waiting Manual Judgment `stage` is decided.
pub fn judgment_href(application: &str, id: ExecutionId, stage: &str) -> String {
    crate::pipelines::judgment_path(application, &id.to_string(), Some(stage))
}
