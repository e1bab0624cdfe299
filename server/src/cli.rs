//! Command-line flags. Each flag overrides the same key from the environment and the file.

use std::path::PathBuf;

use clap::Parser;

use crate::config::Overrides;

/// Continuous delivery for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "gennaker", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Without this flag, ./gennaker.toml is read when it exists.
    #[arg(long, short = 'c', env = "GENNAKER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to serve the UI and the API on, such as 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory where Gennaker keeps its data.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory holding the built UI (cargo-leptos writes it to target/site).
    #[arg(long, value_name = "DIR")]
    pub site_root: Option<PathBuf>,
    /// Kubeconfig to read Kubernetes contexts from (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Log filter, such as `info` or `info,gennaker=debug`.
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// Without a command, Gennaker serves.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands other than serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Local users: add, list, remove.
    #[command(subcommand)]
    User(crate::auth::cli::UserCommand),
}

impl Cli {
    /// The flags as configuration overrides.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            site_root: self.site_root.clone(),
            kubeconfig: self.kubeconfig.clone(),
            log: self.log.clone(),
        }
    }
}
