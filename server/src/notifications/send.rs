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
    ) -> Result<(), String> {
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

    fn secret(&self, name: &str) -> Result<&str, String> {
        self.secrets.get(name).ok_or_else(|| {
            format!("the secret {name:?} is not in the server's configuration ([[secrets]])")
        })
    }

    /// POSTs `body`; `shown` names the target in errors (never a URL from a secret).
    async fn post(
        &self,
        url: &str,
        body: &serde_json::Value,
        shown: &str,
        key: &str,
    ) -> Result<(), String> {
        let request = self
            .http
            .post(url)
            .header(crate::idempotency::HEADER, key)
            .json(body);
        let response = request.send().await.map_err(|e| {
            let mut text = format!("{shown} cannot be reached");
            if e.is_timeout() {
                text.push_str(" (timed out)");
            } else if e.is_connect() {
                text.push_str(" (connection refused or no route)");
            }
            text
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!(
                "{shown} answered {status}: {}",
                body.chars().take(200).collect::<String>()
            ))
        }
    }

    async fn email(&self, to: &[String], message: &Message) -> Result<(), String> {
        let smtp = self.smtp.as_ref().ok_or(
            "no SMTP server is configured: add [notifications.smtp] to the server's configuration",
        )?;
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| format!("the sender {:?} is not an address: {e}", smtp.from))?;
        let mut builder = Mail::builder().from(from).subject(message.title.clone());
        for address in to {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|e| format!("{address:?} is not an e-mail address: {e}"))?;
            builder = builder.to(mailbox);
        }
        let mail = builder
            .body(message.text.clone())
            .map_err(|e| format!("the e-mail cannot be written: {e}"))?;
        let transport = match smtp.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
            }
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(smtp.host.as_str())
                    .map_err(|e| format!("SMTP {}: {e}", smtp.host))?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(smtp.host.as_str())
                .map_err(|e| format!("SMTP {}: {e}", smtp.host))?,
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
            .map_err(|e| format!("SMTP {}:{} refused the e-mail: {e}", smtp.host, smtp.port))
    }
}
