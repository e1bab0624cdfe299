//! Widgets shared by several pages.

pub mod application_form;
pub mod feedback;
pub mod layout;
