//! Values as people write them: durations ("15m", "30days"), secrets given in the file or in a
//! file beside it, usernames with their secrets, CA certificates.

use std::path::Path;

use super::error::ConfigError;

/// Reads a duration setting (`"15m"`, `"30days"`) of at least `minimum`.
pub(super) fn duration(
    key: &'static str,
    value: &str,
    minimum: (std::time::Duration, &'static str),
) -> Result<std::time::Duration, ConfigError> {
    {
        let parsed =
            humantime::parse_duration(value.trim()).map_err(|source| ConfigError::Duration {
                key,
                value: value.to_string(),
                source,
            })?;
        if parsed < minimum.0 {
            return Err(ConfigError::TooShort {
                key,
                value: value.to_string(),
                minimum: minimum.1,
            });
        }
        Ok(parsed)
    }
}

/// A secret given in the file or beside it (`{what}` / `{what}_file`), never both; a file's
/// trailing newline is not part of it.
pub(super) fn secret(
    value: Option<String>,
    file: Option<&Path>,
    what: &str,
) -> Result<Option<String>, String> {
    match (value, file) {
        (Some(_), Some(_)) => Err(format!("set {what} or {what}_file, not both")),
        (Some(value), None) => Ok(Some(value)),
        (None, file) => secret_file(file, &format!("{what}_file")),
    }
}

/// The text of a secret's file, without its trailing newline.
pub(super) fn secret_file(file: Option<&Path>, what: &str) -> Result<Option<String>, String> {
    let Some(path) = file else { return Ok(None) };
    std::fs::read_to_string(path)
        .map(|text| Some(text.trim_end_matches(['\r', '\n']).to_string()))
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// A username with its secret (`{what}` or `{what}_file`): both or neither.
pub(super) fn credentials(
    username: Option<String>,
    value: Option<String>,
    file: Option<&Path>,
    what: &str,
) -> Result<Option<(String, String)>, String> {
    match (username, secret(value, file, what)?) {
        (Some(user), Some(secret)) => Ok(Some((user, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!("username is set but no {what} or {what}_file")),
        (None, Some(_)) => Err(format!("a {what} is set but no username")),
    }
}

/// The PEM certificates of `ca_file`, if one is given.
pub(super) fn ca_file(path: Option<&Path>) -> Result<Option<Vec<u8>>, String> {
    let Some(path) = path else {
        return Ok(None);
    };
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(Some(pem))
}
