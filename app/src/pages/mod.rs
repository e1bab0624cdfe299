//! One module per page of the UI.

pub mod application;
pub mod applications;
pub mod clusters;
pub mod infrastructure;
pub mod load_balancers;
pub mod not_found;
pub mod security_groups;
pub mod tasks;
