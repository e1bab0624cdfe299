//! The Load Balancers tab (Services) and the Security Groups tab (NetworkPolicies): lists that
//! update live, and create / edit / delete dialogs.

use leptos::prelude::*;
use leptos::web_sys;

use crate::components::dialog::Dialog;
use crate::components::feedback::{CardList, FormError};
use crate::components::fields::{SelectField, TextArea, TextField};
use crate::components::operation::{
    Confirm, ConfirmDialog, DialogButtons, OperationBody, OperationState, start_operation,
};
use crate::components::parse;
use crate::components::placement::Placement;
use crate::error::AppError;
use crate::infrastructure::load_balancers::{
    IngressRule, LoadBalancer, LoadBalancerSpec, Peer, RulePort, SecurityGroup, SecurityGroupSpec,
    ServicePort, ServiceType,
};
use crate::infrastructure::server_groups::Protocol;
use crate::infrastructure::{application_load_balancers, application_security_groups};
use crate::live::Live;
use crate::pages::application::ApplicationContext;
use crate::tasks::model::Operation;

/// Ports as lines: `port[:targetPort][:nodePort][/PROTOCOL] [name]`.
fn ports_text(ports: &[ServicePort]) -> String {
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

fn parse_ports(text: &str) -> Result<Vec<ServicePort>, AppError> {
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

#[component]
pub fn LoadBalancersTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let balancers = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_load_balancers(name),
    );
    let open = RwSignal::new(None::<Result<LoadBalancerSpec, Confirm>>);
    let new_spec = move || LoadBalancerSpec {
        application: context.name.get_untracked(),
        ports: vec![ServicePort {
            port: 80,
            target_port: 8080,
            ..ServicePort::default()
        }],
        ..LoadBalancerSpec::default()
    };
    view! {
        <section class="tab-panel" aria-label="Load balancers">
            <div class="tab-toolbar">
                <button type="button" id="create-load-balancer" class="button primary" on:click=move |_| open.set(Some(Ok(new_spec())))>
                    "+ Create Load Balancer"
                </button>
            </div>
            <CardList items=balancers label="Load balancers" loading="Loading load balancers…"
                empty_title="No load balancers yet"
                empty_text="A load balancer is a Service; server groups attached to it receive its traffic while they are enabled."
                card=move |lb| view! { <LoadBalancerCard lb open /> } />
        </section>
        {move || open.get().map(|choice| {
            let close = Callback::new(move |()| open.set(None));
            match choice {
                Ok(spec) => view! { <LoadBalancerDialog spec live on_close=close /> }.into_any(),
                Err(confirm) => view! { <ConfirmDialog confirm live on_close=close /> }.into_any(),
            }
        })}
    }
}

#[component]
fn LoadBalancerCard(
    lb: LoadBalancer,
    open: RwSignal<Option<Result<LoadBalancerSpec, Confirm>>>,
) -> impl IntoView {
    let ports = lb
        .ports
        .iter()
        .map(|p| {
            let node = if p.node_port != 0 {
                format!(" (node port {})", p.node_port)
            } else {
                String::new()
            };
            format!(
                "{} → {}{}{}",
                p.port,
                if p.target_port == 0 {
                    p.port
                } else {
                    p.target_port
                },
                node,
                if p.protocol == Protocol::Tcp {
                    String::new()
                } else {
                    format!(" {}", p.protocol.as_str())
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let spec = lb.spec.clone();
    let remove = confirm_delete(
        "load balancer",
        &lb.name,
        Operation::DeleteLoadBalancer {
            application: lb.spec.application.clone(),
            load_balancer: lb.reference(),
        },
    );
    view! {
        <li class="card load-balancer" aria-label=format!("Load balancer {}", lb.name)>
            <div class="card-title">
                <h2>{lb.name.clone()}</h2>
                <span class="badge">{lb.kind.clone()}</span>
            </div>
            <dl class="facts">
                <dt>"Account"</dt><dd>{format!("{} · {}", lb.account, lb.namespace)}</dd>
                <dt>"Ports"</dt><dd>{ports}</dd>
                <dt>"Cluster IP"</dt><dd>{lb.cluster_ip.clone()}</dd>
                <dt>"Server groups"</dt><dd class="lb-server-groups">{if lb.server_groups.is_empty() { "none".to_string() } else { lb.server_groups.join(", ") }}</dd>
                <dt>"Ready endpoints"</dt><dd class="lb-endpoints">{format!("{} Pods", lb.ready_pods.len())}</dd>
            </dl>
            <div class="form-actions">
                <button type="button" class="button small" on:click=move |_| open.set(Some(Ok(spec.clone())))>"Edit"</button>
                <button type="button" class="button small danger" on:click=move |_| open.set(Some(Err(remove.clone())))>"Delete"</button>
            </div>
        </li>
    }
}

#[component]
fn SecurityGroupCard(
    sg: SecurityGroup,
    open: RwSignal<Option<Result<SecurityGroupSpec, Confirm>>>,
) -> impl IntoView {
    let edit = sg.spec.clone();
    let remove = confirm_delete(
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
            <div class="form-actions">
                <button type="button" class="button small" on:click=move |_| open.set(Some(Ok(edit.clone())))>"Edit"</button>
                <button type="button" class="button small danger" on:click=move |_| open.set(Some(Err(remove.clone())))>"Delete"</button>
            </div>
        </li>
    }
}

#[component]
fn LoadBalancerDialog(spec: LoadBalancerSpec, live: Live, on_close: Callback<()>) -> impl IntoView {
    let editing = !spec.account.is_empty();
    let account = RwSignal::new(spec.account.clone());
    let namespace = RwSignal::new(spec.namespace.clone());
    let stack = RwSignal::new(spec.stack.clone());
    let detail = RwSignal::new(spec.detail.clone());
    let kind = RwSignal::new(spec.kind.as_str().to_string());
    let ports = RwSignal::new(ports_text(&spec.ports));
    let state = start_operation();
    let OperationState { submit, errors, .. } = state;
    let application = spec.application.clone();
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let build = || -> Result<LoadBalancerSpec, AppError> {
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
            Ok(spec)
        };
        match build() {
            Ok(spec) => {
                errors.set(None);
                submit.dispatch(Operation::UpsertLoadBalancer { spec });
            }
            Err(error) => errors.set(Some(error)),
        }
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
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
            <OperationBody state live on_close>
                    <form on:submit=on_submit.clone() novalidate=true>
                        <Placement account namespace errors=errors_signal id_prefix="lb" locked=editing />
                        {(!editing).then(|| view! {
                            <div class="form-grid">
                                <TextField id="lb-stack" label="Stack" field="stack" value=stack errors=errors_signal hint="Optional" />
                                <TextField id="lb-detail" label="Detail" field="detail" value=detail errors=errors_signal hint="Optional" />
                            </div>
                        })}
                        <SelectField id="lb-type" label="Type" field="type" value=kind errors=errors_signal options=Signal::stored(kinds.clone()) />
                        <TextArea id="lb-ports" label="Ports" field="ports" value=ports errors=errors_signal
                            hint="One per line: port[:targetPort[:nodePort]][/UDP] [name], such as 80:8080:30009 for a NodePort on 30009." />
                        <FormError errors=errors_signal known_fields=&["account", "namespace", "stack", "detail", "ports"] />
                        <DialogButtons on_close submit_label=if editing { "Save" } else { "Create" } pending=submit.pending().into() />
                    </form>
                </OperationBody>
        </Dialog>
    }
}

/// Confirms and deletes a load balancer or security group.
/// "Delete the load balancer web? This cannot be undone."
fn confirm_delete(kind: &str, name: &str, operation: Operation) -> Confirm {
    Confirm {
        title: format!("Delete {kind} {name}"),
        message: format!("Delete the {kind} {name}? This cannot be undone."),
        label: "Delete",
        danger: true,
        operation,
    }
}

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

#[component]
pub fn SecurityGroupsTab() -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let groups = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_security_groups(name),
    );
    let open = RwSignal::new(None::<Result<SecurityGroupSpec, Confirm>>);
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
        <section class="tab-panel" aria-label="Security groups">
            <div class="tab-toolbar">
                <button type="button" id="create-security-group" class="button primary" on:click=move |_| open.set(Some(Ok(new_spec())))>
                    "+ Create Security Group"
                </button>
            </div>
            <CardList items=groups label="Security groups" loading="Loading security groups…"
                empty_title="No security groups yet"
                empty_text="A security group is a NetworkPolicy: once one selects the application's Pods, only the ingress it allows reaches them."
                card=move |sg| view! { <SecurityGroupCard sg open /> } />
        </section>
        {move || open.get().map(|choice| {
            let close = Callback::new(move |()| open.set(None));
            match choice {
                Ok(spec) => view! { <SecurityGroupDialog spec live on_close=close /> }.into_any(),
                Err(confirm) => view! { <ConfirmDialog confirm live on_close=close /> }.into_any(),
            }
        })}
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
    let OperationState { submit, errors, .. } = state;
    let application = spec.application.clone();
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let build = || -> Result<SecurityGroupSpec, AppError> {
            let spec = SecurityGroupSpec {
                application: application.clone(),
                account: account.get_untracked(),
                namespace: namespace.get_untracked(),
                stack: stack.get_untracked().trim().to_string(),
                detail: detail.get_untracked().trim().to_string(),
                pod_labels: parse::key_values(
                    &pod_labels.get_untracked(),
                    "podLabels",
                    "Pod labels",
                )?,
                ingress: parse_rules(&rules.get_untracked())?,
            };
            AppError::from_fields(spec.validate())?;
            Ok(spec)
        };
        match build() {
            Ok(spec) => {
                errors.set(None);
                submit.dispatch(Operation::UpsertSecurityGroup { spec });
            }
            Err(error) => errors.set(Some(error)),
        }
    };
    let errors_signal: Signal<Option<AppError>> = errors.into();
    let title = if editing {
        format!("Edit Security Group {}", spec.name())
    } else {
        "Create Security Group".to_string()
    };
    view! {
        <Dialog id="security-group-dialog" title on_close focus="sg-rules" wide=true>
            <OperationBody state live on_close>
                    <form on:submit=on_submit.clone() novalidate=true>
                        <Placement account namespace errors=errors_signal id_prefix="secg" locked=editing />
                        {(!editing).then(|| view! {
                            <div class="form-grid">
                                <TextField id="secg-stack" label="Stack" field="stack" value=stack errors=errors_signal hint="Optional" />
                                <TextField id="secg-detail" label="Detail" field="detail" value=detail errors=errors_signal hint="Optional" />
                            </div>
                        })}
                        <TextArea id="secg-pod-labels" label="Applies to Pods with labels" field="podLabels" value=pod_labels errors=errors_signal
                            hint="key=value, one per line; empty means all of the application's Pods." />
                        <TextArea id="sg-rules" label="Ingress rules" field="ingress" value=rules errors=errors_signal rows=4
                            hint="One rule per line: ports from sources. Sources are CIDRs, pods:key=value or namespaces:key=value, separated by commas; without from, any source." />
                        <FormError errors=errors_signal known_fields=&["account", "namespace", "stack", "detail", "podLabels", "ingress"] />
                        <DialogButtons on_close submit_label=if editing { "Save" } else { "Create" } pending=submit.pending().into() />
                    </form>
                </OperationBody>
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_rules_round_trip() {
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
        let rules = parse_rules(
            "8080,53/UDP from 10.0.0.0/8, pods:role=web+tier=front\nall from namespaces:team=a",
        )
        .expect("rules");
        assert_eq!(rules[0].from.len(), 2);
        assert!(rules[1].ports.is_empty());
        assert_eq!(parse_rules(&rules_text(&rules)).expect("again"), rules);
    }
}
