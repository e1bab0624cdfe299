//! Logs: `tracing` to standard error, filtered by the configuration's `log` directive.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. The filter was validated when the configuration loaded.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    fmt().with_env_filter(filter).with_target(true).init();
}
