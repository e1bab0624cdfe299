//! The Kubernetes provider's views and specs: server groups, load balancers, Jobs, names and
//! image references.

pub mod image;
pub mod jobs;
pub mod load_balancers;
pub mod names;
pub mod server_groups;
