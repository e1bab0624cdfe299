//! The audit log's entries and filters.

pub mod model;
