//! Spinnaker's Gate API as `spin` and scripts use it: the shapes its answers and requests have,
//! and how Gennaker's own types turn into them. Kept apart from `/api/v1`'s shapes, which are
//! Gennaker's; the pipelines and executions are Spinnaker's JSON already and need no turning.

pub mod applications;
pub mod orchestrations;
