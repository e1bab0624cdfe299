//! Widgets shared by several pages.

pub mod access;
pub mod application_form;
pub mod dialog;
pub mod feedback;
pub mod fields;
pub mod history;
pub mod image_picker;
pub mod instances;
pub mod layout;
pub mod load_balancer_form;
pub mod object_tab;
pub mod operation;
pub mod parse;
pub mod placement;
pub mod server_group_form;
pub mod stale_notice;
pub mod task_progress;
pub mod time;
