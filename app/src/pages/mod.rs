//! One module per page of the UI.

pub mod application;
pub mod applications;
pub mod infrastructure;
pub mod not_found;
pub mod tasks;
