//! The `gennaker` binary: configuration, telemetry, then serve until SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use gennaker::{cli::Cli, config::Config, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.overrides()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gennaker: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log);

    match gennaker::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "gennaker stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
