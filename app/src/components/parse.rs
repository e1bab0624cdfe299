//! Turns what users type into form fields (one entry per line, `KEY=value`, `8080/UDP`) into
//! typed values, with a message naming the field and the line when something is off.

use std::collections::BTreeMap;

use crate::error::AppError;
use gennaker_core::infrastructure::server_groups::{ContainerPort, EnvVar, Protocol};

/// Non-empty, trimmed lines.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The `key=value` pairs of the non-empty lines, in order; `form` is how the message writes a
/// line (`key=value`, `NAME=value`).
fn pairs(
    text: &str,
    field: &str,
    what: &str,
    form: &str,
) -> Result<Vec<(String, String)>, AppError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| match line.split_once('=') {
            Some((key, value)) => Ok((key.trim().to_string(), value.trim().to_string())),
            None => Err(AppError::invalid(
                field,
                format!("{what}, line {}: write it as {form}.", i + 1),
            )),
        })
        .collect()
}

/// `KEY=value` lines.
pub fn key_values(
    text: &str,
    field: &str,
    what: &str,
) -> Result<BTreeMap<String, String>, AppError> {
    Ok(pairs(text, field, what, "key=value")?.into_iter().collect())
}

/// `NAME=value` lines, in order.
pub fn env_vars(text: &str) -> Result<Vec<EnvVar>, AppError> {
    Ok(pairs(text, "env", "Environment", "NAME=value")?
        .into_iter()
        .map(|(name, value)| EnvVar { name, value })
        .collect())
}

/// A protocol suffix: `8080/UDP`.
fn split_protocol(text: &str) -> Result<(&str, Protocol), String> {
    match text.split_once('/') {
        Some((number, protocol)) => Protocol::parse(&protocol.trim().to_uppercase())
            .map(|p| (number.trim(), p))
            .ok_or_else(|| format!("{protocol:?} is not TCP, UDP or SCTP")),
        None => Ok((text.trim(), Protocol::Tcp)),
    }
}

/// Comma-separated container ports: `8080`, `http:8080`, `53/UDP`.
pub fn container_ports(text: &str) -> Result<Vec<ContainerPort>, AppError> {
    let mut ports = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, rest) = match entry.split_once(':') {
            Some((name, rest)) => (name.trim().to_string(), rest),
            None => (String::new(), entry),
        };
        let (number, protocol) = split_protocol(rest)
            .map_err(|why| AppError::invalid("ports", format!("Port {entry:?}: {why}.")))?;
        let container_port = number.parse::<i64>().map_err(|_| {
            AppError::invalid(
                "ports",
                format!("Port {entry:?} is not a number such as 8080, http:8080 or 53/UDP."),
            )
        })?;
        ports.push(ContainerPort {
            name,
            container_port,
            protocol,
        });
    }
    Ok(ports)
}

/// A whole number typed into `field`.
pub fn integer(text: &str, field: &str, label: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            field,
            format!("{label} must be a whole number, not {:?}.", text.trim()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_env_and_labels() {
        let ports = container_ports("8080, http:9090, dns:53/udp").expect("ports");
        assert_eq!(ports.len(), 3);
        assert_eq!(
            (ports[1].name.as_str(), ports[1].container_port),
            ("http", 9090)
        );
        assert_eq!(ports[2].protocol, Protocol::Udp);
        assert!(container_ports("eighty").is_err());
        assert_eq!(env_vars("A=1\n\nB = two=2").expect("env")[1].value, "two=2");
        assert!(key_values("tier=web\nbad", "labels", "Labels").is_err());
        assert_eq!(integer(" 3 ", "replicas", "Replicas").ok(), Some(3));
        assert!(integer("three", "replicas", "Replicas").is_err());
    }
}
