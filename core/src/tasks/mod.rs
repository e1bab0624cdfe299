//! Durable tasks: the step vocabulary, the policy of each step, and what the UI shows of a
//! task. The runner is on the server.

pub mod model;
pub mod policy;
pub mod view;
