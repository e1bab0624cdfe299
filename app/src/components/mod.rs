//! Widgets shared by several pages.

pub mod application_form;
pub mod dialog;
pub mod feedback;
pub mod fields;
pub mod layout;
pub mod operation;
pub mod parse;
pub mod placement;
pub mod task_progress;
