//! The `gennaker` binary: configuration, telemetry, then serve until SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use gennaker::cli::{Cli, Command};
use gennaker::{config::Config, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let config = match Config::load(&cli.overrides()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gennaker: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::User(command)) = cli.command.take() {
        return match gennaker::auth::cli::run(&config, command).await {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("gennaker: {error}");
                ExitCode::from(2)
            }
        };
    }
    telemetry::init(&config.log);

    match gennaker::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "gennaker stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
