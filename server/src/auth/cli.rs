//! `gennaker user …`: local users, managed from the command line with the server's own
//! configuration (so the same store). A running server sees a new user at once; the first
//! user switches an open server to sign-in at its next start.

use std::io::BufRead;

use clap::Subcommand;

use super::users::Users;
use crate::config::Config;

/// What to do with local users.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a user. The password is asked for (twice), or read from the first line of
    /// standard input with --password-stdin.
    Add {
        /// The user name people sign in with.
        name: String,
        /// A role the user has; repeat for several (`--role admin --role dev`).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists the users and their roles.
    List,
    /// Removes a user; their sessions end within a minute.
    Remove { name: String },
}

fn password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ")
        .map_err(|e| format!("cannot ask for the password ({e}); use --password-stdin"))?;
    let again = rpassword::prompt_password("Password again: ")
        .map_err(|e| format!("cannot ask for the password ({e}); use --password-stdin"))?;
    if first != again {
        return Err("the two passwords differ; nothing was changed".into());
    }
    Ok(first)
}

/// Runs `command`; the text to print on success, or what went wrong.
pub async fn run(config: &Config, command: UserCommand) -> Result<String, String> {
    crate::install_crypto_provider();
    let backend = crate::store::open(&config.store)
        .await
        .map_err(|e| format!("cannot open the store: {e}"))?;
    let users = Users::new(backend);
    let who = "gennaker user (command line)";
    match command {
        UserCommand::Add {
            name,
            roles,
            password_stdin,
        } => {
            let password = password(password_stdin)?;
            users
                .add(&name, &password, &roles, who)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "added user {name:?}{}",
                if roles.is_empty() {
                    String::new()
                } else {
                    format!(" with roles {}", roles.join(", "))
                }
            ))
        }
        UserCommand::List => {
            let listed = users.list().await.map_err(|e| e.to_string())?;
            if listed.is_empty() {
                return Ok("no users: Gennaker runs open on loopback".into());
            }
            Ok(listed
                .iter()
                .map(|u| format!("{}\t{}", u.name, u.roles.join(",")))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        UserCommand::Remove { name } => {
            users.remove(&name, who).await.map_err(|e| e.to_string())?;
            Ok(format!("removed user {name:?}"))
        }
    }
}
