//! Who acts (a principal) and what they may do (permissions), without sign-in itself.

pub mod model;
pub mod permissions;
