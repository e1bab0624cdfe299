//! The Security Groups tab: the application's NetworkPolicies, updating live, with create,
//! edit and delete dialogs.

use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::fields::TextArea;
use crate::components::object_tab::{EditAndDelete, ObjectTab, Opened};
use crate::components::operation::{Confirm, OperationForm, start_operation};
use crate::components::parse;
use crate::components::placement::{Placement, StackAndDetail};
use crate::error::AppError;
use crate::infrastructure::application_security_groups;
use crate::live::Live;
use crate::pages::application::ApplicationContext;
use gennaker_core::infrastructure::load_balancers::{
    IngressRule, Peer, RulePort, SecurityGroup, SecurityGroupSpec,
};
use gennaker_core::infrastructure::server_groups::Protocol;
use gennaker_core::tasks::model::Operation;

/// Rules as lines: `ports from sources`, such as `8080,9090/UDP from 10.0.0.0/8, pods:role=web`.
fn rules_text(rules: &[IngressRule]) -> String {
    rules
        .iter()
        .map(|rule| {
            let ports = rule
                .ports
                .iter()
                .map(|p| {
                    if p.protocol == Protocol::Tcp {
                        p.port.to_string()
                    } else {
                        format!("{}/{}", p.port, p.protocol.as_str())
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            let labels = |l: &std::collections::BTreeMap<String, String>| {
                l.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("+")
            };
            let from = rule
                .from
                .iter()
                .map(|peer| match peer {
                    Peer::Cidr { cidr } => cidr.clone(),
                    Peer::Pods { labels: l } => format!("pods:{}", labels(l)),
                    Peer::Namespaces { labels: l } => format!("namespaces:{}", labels(l)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let ports = if ports.is_empty() {
                "all".to_string()
            } else {
                ports
            };
            if from.is_empty() {
                ports
            } else {
                format!("{ports} from {from}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_rules(text: &str) -> Result<Vec<IngressRule>, AppError> {
    let mut rules = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let n = i + 1;
        let fail = |why: &str| {
            AppError::invalid(
                "ingress",
                format!(
                    "Rules, line {n}: {why}. Write ports from sources, such as 8080 from 10.0.0.0/8, pods:role=web."
                ),
            )
        };
        let (ports_text, from_text) = match line.split_once(" from ") {
            Some((p, f)) => (p.trim(), f.trim()),
            None => (line.trim(), ""),
        };
        let mut ports = Vec::new();
        if ports_text != "all" {
            for entry in ports_text
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                let (number, protocol) = match entry.split_once('/') {
                    Some((n, p)) => (
                        n,
                        Protocol::parse(&p.to_uppercase())
                            .ok_or_else(|| fail("a protocol is TCP, UDP or SCTP"))?,
                    ),
                    None => (entry, Protocol::Tcp),
                };
                let port = number
                    .parse::<i64>()
                    .map_err(|_| fail(&format!("{entry:?} is not a port")))?;
                ports.push(RulePort { port, protocol });
            }
        }
        let mut from = Vec::new();
        for source in from_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let labels =
                |text: &str| -> Result<std::collections::BTreeMap<String, String>, AppError> {
                    text.split('+')
                        .map(|pair| {
                            pair.split_once('=')
                                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                                .ok_or_else(|| fail(&format!("{pair:?} is not key=value")))
                        })
                        .collect()
                };
            from.push(if let Some(rest) = source.strip_prefix("pods:") {
                Peer::Pods {
                    labels: labels(rest)?,
                }
            } else if let Some(rest) = source.strip_prefix("namespaces:") {
                Peer::Namespaces {
                    labels: labels(rest)?,
                }
            } else {
                Peer::Cidr {
                    cidr: source.to_string(),
                }
            });
        }
        rules.push(IngressRule { ports, from });
    }
    Ok(rules)
}

lazy_page!(
    /// The Security Groups tab.
    SecurityGroupsRoute => SecurityGroupsTab
);

#[component]
pub fn SecurityGroupsTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let groups = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_security_groups(name),
    );
    let new_spec = move || SecurityGroupSpec {
        application: context.name.get_untracked(),
        ingress: vec![IngressRule {
            ports: vec![RulePort {
                port: 8080,
                protocol: Protocol::Tcp,
            }],
            from: Vec::new(),
        }],
        ..SecurityGroupSpec::default()
    };
    view! {
        <ObjectTab label="Security groups" create_id="create-security-group" create_label="+ Create Security Group"
            items=groups loading="Loading security groups…"
            empty_title="No security groups yet"
            empty_text="A security group is a NetworkPolicy: once one selects the application's Pods, only the ingress it allows reaches them."
            new_spec
            card=|sg: SecurityGroup, open| view! { <SecurityGroupCard sg open /> }
            edit=|spec, live, on_close| view! { <SecurityGroupDialog spec live on_close /> }
            live />
    }
}

#[component]
fn SecurityGroupCard(sg: SecurityGroup, open: Opened<SecurityGroupSpec>) -> impl IntoView {
    let edit = sg.spec.clone();
    let remove = Confirm::delete(
        "security group",
        &sg.name,
        Operation::DeleteSecurityGroup {
            application: sg.spec.application.clone(),
            security_group: sg.reference(),
        },
    );
    view! {
        <li class="card security-group" aria-label=format!("Security group {}", sg.name)>
            <div class="card-title"><h2>{sg.name.clone()}</h2><span class="badge">"NetworkPolicy"</span></div>
            <dl class="facts">
                <dt>"Account"</dt><dd>{format!("{} · {}", sg.account, sg.namespace)}</dd>
                <dt>"Ingress"</dt><dd><pre class="rules">{rules_text(&sg.spec.ingress)}</pre></dd>
            </dl>
            <EditAndDelete spec=edit delete=remove open />
        </li>
    }
}

#[component]
fn SecurityGroupDialog(
    spec: SecurityGroupSpec,
    live: Live,
    on_close: Callback<()>,
) -> impl IntoView {
    let editing = !spec.account.is_empty();
    let account = RwSignal::new(spec.account.clone());
    let namespace = RwSignal::new(spec.namespace.clone());
    let stack = RwSignal::new(spec.stack.clone());
    let detail = RwSignal::new(spec.detail.clone());
    let pod_labels = RwSignal::new(
        spec.pod_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let rules = RwSignal::new(rules_text(&spec.ingress));
    let state = start_operation();
    let application = spec.application.clone();
    let operation = move || {
        let spec = SecurityGroupSpec {
            application: application.clone(),
            account: account.get_untracked(),
            namespace: namespace.get_untracked(),
            stack: stack.get_untracked().trim().to_string(),
            detail: detail.get_untracked().trim().to_string(),
            pod_labels: parse::key_values(&pod_labels.get_untracked(), "podLabels", "Pod labels")?,
            ingress: parse_rules(&rules.get_untracked())?,
        };
        AppError::from_fields(spec.validate())?;
        Ok(Operation::UpsertSecurityGroup { spec })
    };
    let errors_signal = state.errors();
    let title = if editing {
        format!("Edit Security Group {}", spec.name())
    } else {
        "Create Security Group".to_string()
    };
    view! {
        <Dialog id="security-group-dialog" title on_close focus="sg-rules" wide=true>
            <OperationForm state live on_close operation submit_label=if editing { "Save" } else { "Create" } known_fields=&["account", "namespace", "stack", "detail", "podLabels", "ingress"]>
                <Placement account namespace errors=errors_signal id_prefix="secg" locked=editing />
                {(!editing).then(|| view! { <StackAndDetail stack detail errors=errors_signal id_prefix="secg" /> })}
                <TextArea id="secg-pod-labels" label="Applies to Pods with labels" field="podLabels" value=pod_labels errors=errors_signal
                    hint="key=value, one per line; empty means all of the application's Pods." />
                <TextArea id="sg-rules" label="Ingress rules" field="ingress" value=rules errors=errors_signal rows=4
                    hint="One rule per line: ports from sources. Sources are CIDRs, pods:key=value or namespaces:key=value, separated by commas; without from, any source." />
            </OperationForm>
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip() {
        let rules = parse_rules(
            "8080,53/UDP from 10.0.0.0/8, pods:role=web+tier=front\nall from namespaces:team=a",
        )
        .expect("rules");
        assert_eq!(rules[0].from.len(), 2);
        assert!(rules[1].ports.is_empty());
        assert_eq!(parse_rules(&rules_text(&rules)).expect("again"), rules);
    }
}
