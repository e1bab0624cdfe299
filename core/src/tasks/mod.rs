//! Durable tasks: the step vocabulary and the policy of each step. The runner is on the server.

pub mod model;
pub mod policy;
