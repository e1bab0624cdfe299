//! `[notifications]`: the address links in messages start with, and the SMTP server e-mail goes
//! through.

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::secrets::Secrets;

/// `[notifications]`: the address links in messages start with, and the SMTP server e-mail
/// goes through.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotifications {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) public_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) smtp: Option<RawSmtp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub(super) host: String,
    #[serde(default)]
    pub(super) port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (only for a server on this machine).
    #[serde(default)]
    pub(super) tls: Option<String>,
    pub(super) from: String,
    #[serde(default)]
    pub(super) username: Option<String>,
    /// The name of a `[[secrets]]` entry holding the password.
    #[serde(default)]
    pub(super) password_secret: Option<String>,
}

/// `[notifications]`, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationsConfig {
    /// The address people reach Gennaker at (links in messages); the listen address if unset.
    pub public_url: Option<String>,
    pub smtp: Option<SmtpSettings>,
}

/// How the SMTP server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The sender, such as `Gennaker <gennaker@example.com>`.
    pub from: String,
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

/// Checks `[notifications]`; the SMTP password comes from a named secret.
pub(super) fn resolve_notifications(
    raw: RawNotifications,
    secrets: &Secrets,
) -> Result<NotificationsConfig, ConfigError> {
    let fail = |message: String| Err(ConfigError::Notifications(message));
    if let Some(url) = &raw.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return fail(format!(
            "public_url {url:?} must be an http:// or https:// address, such as https://gennaker.example.com"
        ));
    }
    let smtp = match raw.smtp {
        None => None,
        Some(smtp) => {
            let tls = match smtp.tls.as_deref().unwrap_or("starttls") {
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Tls,
                "none" => SmtpTls::None,
                other => {
                    return fail(format!(
                        "smtp.tls {other:?} is not a choice: use starttls, tls or none"
                    ));
                }
            };
            if smtp.host.trim().is_empty() {
                return fail("smtp.host is empty: give the SMTP server's name".into());
            }
            if !smtp.from.contains('@') {
                return fail(format!(
                    "smtp.from {:?} is not an address, such as Gennaker <gennaker@example.com>",
                    smtp.from
                ));
            }
            let credentials = match (smtp.username, smtp.password_secret) {
                (None, None) => None,
                (Some(user), Some(name)) => match secrets.get(&name) {
                    Some(password) => Some((user, password.to_string())),
                    None => {
                        return fail(format!(
                            "smtp.password_secret names {name:?}, which is not a [[secrets]] entry"
                        ));
                    }
                },
                _ => {
                    return fail(
                        "smtp.username and smtp.password_secret go together: set both or neither"
                            .into(),
                    );
                }
            };
            let port = smtp.port.unwrap_or(match tls {
                SmtpTls::Tls => 465,
                SmtpTls::StartTls => 587,
                SmtpTls::None => 25,
            });
            Some(SmtpSettings {
                host: smtp.host,
                port,
                tls,
                from: smtp.from,
                credentials,
            })
        }
    };
    Ok(NotificationsConfig {
        public_url: raw.public_url.map(|u| u.trim_end_matches('/').to_string()),
        smtp,
    })
}
