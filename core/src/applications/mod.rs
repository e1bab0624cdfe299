//! Applications: their settings, validation and permissions.

pub mod model;
