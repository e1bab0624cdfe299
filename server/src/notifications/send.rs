//! Sending one message on one channel: e-mail through the configured SMTP server (lettre),
//! a Slack-compatible incoming webhook, or JSON to a webhook. Errors say what to fix and never
//! carry a secret (a webhook URL from a secret is not repeated).

use std::time::Duration;

use gennaker_core::pipelines::notifications::Channel;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Mail, Tokio1Executor};
use serde_json::json;

use super::messages::Message;
use crate::config::{Secrets, SmtpSettings, SmtpTls};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a message did not go out; the text says what to fix and never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the secret {0:?} is not in the server's configuration ([[secrets]])")]
    MissingSecret(String),
    /// The request did not reach the target. reqwest's own text is left out: it names the URL,
    /// which may come from a secret.
    #[error("{target} cannot be reached{}", reach_detail(*timed_out, *refused))]
    Unreachable {
        target: String,
        timed_out: bool,
        refused: bool,
    },
    #[error("{target} answered {status}: {body}")]
    Status {
        target: String,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("no SMTP server is configured: add [notifications.smtp] to the server's configuration")]
    NoSmtp,
    #[error("the sender {from:?} is not an address: {source}")]
    Sender {
        from: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("{address:?} is not an e-mail address: {source}")]
    Recipient {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("the e-mail cannot be written: {0}")]
    Compose(#[source] lettre::error::Error),
    #[error("SMTP {host}: {source}")]
    Relay {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("SMTP {host}:{port} refused the e-mail: {source}")]
    Refused {
        host: String,
        port: u16,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

fn reach_detail(timed_out: bool, refused: bool) -> &'static str {
    if timed_out {
        " (timed out)"
    } else if refused {
        " (connection refused or no route)"
    } else {
        ""
    }
}

pub struct Sender {
    secrets: Secrets,
    smtp: Option<SmtpSettings>,
    http: reqwest::Client,
}

impl Sender {
    pub fn new(secrets: Secrets, smtp: Option<SmtpSettings>) -> Sender {
        Sender {
            secrets,
            smtp,
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends `message`; a webhook request (Slack or JSON) carries `key` as its
    /// `Idempotency-Key`, the same for every attempt of one delivery.
    pub async fn send(
        &self,
        channel: &Channel,
        message: &Message,
        key: &str,
    ) -> Result<(), SendError> {
        match channel {
            Channel::Email { to } => self.email(to, message).await,
            Channel::Slack { secret, channel } => {
                let url = self.secret(secret)?;
                let mut body = json!({"text": message.text});
                if !channel.is_empty() {
                    body["channel"] = json!(channel);
                }
                self.post(url, &body, "the Slack webhook", key).await
            }
            Channel::Webhook { url, secret } => {
                if url.is_empty() {
                    let url = self.secret(secret)?;
                    self.post(url, &message.json, "the webhook (URL from its secret)", key)
                        .await
                } else {
                    self.post(url, &message.json, url, key).await
                }
            }
        }
    }

    fn secret(&self, name: &str) -> Result<&str, SendError> {
        self.secrets
            .get(name)
            .ok_or_else(|| SendError::MissingSecret(name.to_string()))
    }

    /// POSTs `body`; `shown` names the target in errors (never a URL from a secret).
    async fn post(
        &self,
        url: &str,
        body: &serde_json::Value,
        shown: &str,
        key: &str,
    ) -> Result<(), SendError> {
        let request = self
            .http
            .post(url)
            .header(crate::idempotency::HEADER, key)
            .json(body);
        let response = request.send().await.map_err(|e| SendError::Unreachable {
            target: shown.to_string(),
            timed_out: e.is_timeout(),
            refused: e.is_connect(),
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(SendError::Status {
                target: shown.to_string(),
                status,
                body: body.chars().take(200).collect(),
            })
        }
    }

    async fn email(&self, to: &[String], message: &Message) -> Result<(), SendError> {
        let smtp = self.smtp.as_ref().ok_or(SendError::NoSmtp)?;
        let from: Mailbox = smtp.from.parse().map_err(|source| SendError::Sender {
            from: smtp.from.clone(),
            source,
        })?;
        let mut builder = Mail::builder().from(from).subject(message.title.clone());
        for address in to {
            let mailbox: Mailbox = address.parse().map_err(|source| SendError::Recipient {
                address: address.clone(),
                source,
            })?;
            builder = builder.to(mailbox);
        }
        let mail = builder
            .body(message.text.clone())
            .map_err(SendError::Compose)?;
        let transport = match smtp.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
            }
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(
                smtp.host.as_str(),
            )
            .map_err(|source| SendError::Relay {
                host: smtp.host.clone(),
                source,
            })?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(smtp.host.as_str())
                .map_err(|source| SendError::Relay {
                    host: smtp.host.clone(),
                    source,
                })?,
        };
        let mut transport = transport.port(smtp.port).timeout(Some(TIMEOUT));
        if let Some((user, password)) = &smtp.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
        }
        transport
            .build()
            .send(mail)
            .await
            .map(|_| ())
            .map_err(|source| SendError::Refused {
                host: smtp.host.clone(),
                port: smtp.port,
                source,
            })
    }
}
