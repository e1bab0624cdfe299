//! Gennaker's domain, with no UI in it: typed ids and time, pipeline configurations and
//! executions in Spinnaker's JSON with their validation, the settings of every stage type, the
//! expression language, the step vocabulary of tasks, the Kubernetes infrastructure models and
//! permissions. The UI crate (`gennaker-app`) and the server build on it; the browser bundle
//! gets only what the UI uses of it.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod error;
pub mod expressions;
pub mod gate;
pub mod ids;
pub mod infrastructure;
pub mod pipelines;
pub mod registries;
pub mod tasks;
pub mod time;
