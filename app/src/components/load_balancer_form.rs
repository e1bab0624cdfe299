//! The form of a load balancer (a Service) in a dialog, to create or edit one: on the Load
//! Balancers tab, and in place from a server group's form (a Deploy stage's, say) that needs
//! one that does not exist yet.

use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::fields::{SelectField, TextArea};
use crate::components::operation::{OperationForm, start_operation};
use crate::components::placement::{Placement, StackAndDetail};
use crate::error::AppError;
use crate::live::Live;
use gennaker_core::infrastructure::load_balancers::{LoadBalancerSpec, ServicePort, ServiceType};
use gennaker_core::infrastructure::server_groups::Protocol;
use gennaker_core::tasks::model::Operation;

/// Ports as lines: `port[:targetPort][:nodePort][/PROTOCOL] [name]`.
pub fn ports_text(ports: &[ServicePort]) -> String {
    ports
        .iter()
        .map(|p| {
            let mut text = p.port.to_string();
            if p.target_port != 0 || p.node_port != 0 {
                text.push_str(&format!(
                    ":{}",
                    if p.target_port == 0 {
                        p.port
                    } else {
                        p.target_port
                    }
                ));
            }
            if p.node_port != 0 {
                text.push_str(&format!(":{}", p.node_port));
            }
            if p.protocol != Protocol::Tcp {
                text.push_str(&format!("/{}", p.protocol.as_str()));
            }
            if !p.name.is_empty() {
                text.push_str(&format!(" {}", p.name));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn parse_ports(text: &str) -> Result<Vec<ServicePort>, AppError> {
    let mut ports = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fail = || {
            AppError::invalid(
                "ports",
                format!(
                    "Ports, line {}: write port[:targetPort[:nodePort]][/UDP] [name], such as 80:8080:30009 http.",
                    i + 1
                ),
            )
        };
        let mut words = line.split_whitespace();
        let spec = words.next().ok_or_else(fail)?;
        let name = words.next().unwrap_or_default().to_string();
        let (numbers, protocol) = match spec.split_once('/') {
            Some((numbers, protocol)) => (
                numbers,
                Protocol::parse(&protocol.to_uppercase()).ok_or_else(fail)?,
            ),
            None => (spec, Protocol::Tcp),
        };
        let numbers: Vec<i64> = numbers
            .split(':')
            .map(|n| n.parse::<i64>().map_err(|_| fail()))
            .collect::<Result<_, _>>()?;
        let (port, target_port, node_port) = match numbers.as_slice() {
            [port] => (*port, 0, 0),
            [port, target] => (*port, *target, 0),
            [port, target, node] => (*port, *target, *node),
            _ => return Err(fail()),
        };
        ports.push(ServicePort {
            name,
            port,
            target_port,
            node_port,
            protocol,
        });
    }
    Ok(ports)
}

/// A new load balancer's settings for `application`: port 80 to the Pods' 8080.
pub fn new_load_balancer(
    application: String,
    account: String,
    namespace: String,
) -> LoadBalancerSpec {
    LoadBalancerSpec {
        application,
        account,
        namespace,
        ports: vec![ServicePort {
            port: 80,
            target_port: 8080,
            ..ServicePort::default()
        }],
        ..LoadBalancerSpec::default()
    }
}

/// Creates a load balancer, or edits `spec`'s when it has a name already (`editing`).
#[component]
pub fn LoadBalancerDialog(
    spec: LoadBalancerSpec,
    live: Live,
    on_close: Callback<()>,
    /// Edits an existing one: its placement and name cannot change.
    #[prop(optional)]
    editing: bool,
) -> impl IntoView {
    let account = RwSignal::new(spec.account.clone());
    let namespace = RwSignal::new(spec.namespace.clone());
    let stack = RwSignal::new(spec.stack.clone());
    let detail = RwSignal::new(spec.detail.clone());
    let kind = RwSignal::new(spec.kind.as_str().to_string());
    let ports = RwSignal::new(ports_text(&spec.ports));
    let state = start_operation();
    let application = spec.application.clone();
    let operation = move || {
        let spec = LoadBalancerSpec {
            application: application.clone(),
            account: account.get_untracked(),
            namespace: namespace.get_untracked(),
            stack: stack.get_untracked().trim().to_string(),
            detail: detail.get_untracked().trim().to_string(),
            kind: ServiceType::parse(&kind.get_untracked()).unwrap_or_default(),
            ports: parse_ports(&ports.get_untracked())?,
        };
        AppError::from_fields(spec.validate())?;
        Ok(Operation::UpsertLoadBalancer { spec })
    };
    let errors_signal = state.errors();
    let kinds: Vec<(String, String)> = ServiceType::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.as_str().to_string()))
        .collect();
    let title = if editing {
        format!("Edit Load Balancer {}", spec.name())
    } else {
        "Create Load Balancer".to_string()
    };
    view! {
        <Dialog id="load-balancer-dialog" title on_close focus="lb-ports">
            <OperationForm state live on_close operation submit_label=if editing { "Save" } else { "Create" } known_fields=&["account", "namespace", "stack", "detail", "ports"]>
                <Placement account namespace errors=errors_signal id_prefix="lb" locked=editing />
                {(!editing).then(|| view! { <StackAndDetail stack detail errors=errors_signal id_prefix="lb" /> })}
                <SelectField id="lb-type" label="Type" field="type" value=kind errors=errors_signal options=Signal::stored(kinds.clone()) />
                <TextArea id="lb-ports" label="Ports" field="ports" value=ports errors=errors_signal
                    hint="One per line: port[:targetPort[:nodePort]][/UDP] [name], such as 80:8080:30009 for a NodePort on 30009." />
            </OperationForm>
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_round_trip() {
        let ports = parse_ports("80:8080:30009 http\n53/UDP").expect("ports");
        assert_eq!(
            (
                ports[0].port,
                ports[0].target_port,
                ports[0].node_port,
                ports[0].name.as_str()
            ),
            (80, 8080, 30009, "http")
        );
        assert_eq!(ports[1].protocol, Protocol::Udp);
        assert_eq!(parse_ports(&ports_text(&ports)).expect("again"), ports);
        assert!(parse_ports("eighty").is_err());
    }
}
