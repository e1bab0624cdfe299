//! The fields of a server group, a [`ServerGroupSpec`]: where it goes, the load balancers it
//! joins, its stack and detail, the image (typed or picked from a registry), replicas and the
//! container options. "Create Server Group" shows the form in a dialog; a Deploy stage will show
//! the same form. The owner keeps the inputs ([`ServerGroupFields`]), reads the spec they
//! describe with [`ServerGroupFields::spec`], and says which errors to show.

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::web_sys;

use crate::components::feedback::Loading;
use crate::components::fields::{TextArea, TextField};
use crate::components::image_picker::ImagePicker;
use crate::components::load_balancer_form::{LoadBalancerDialog, new_load_balancer};
use crate::components::parse;
use crate::components::placement::{Placement, StackAndDetail};
use crate::error::AppError;
use crate::infrastructure::application_load_balancers;
use crate::live::Live;
use gennaker_core::infrastructure::load_balancers::LoadBalancer;
use gennaker_core::infrastructure::server_groups::{Resources, ServerGroupSpec};

/// The inputs, as the user typed them, for the server group of one application.
#[derive(Clone, Copy)]
pub struct ServerGroupFields {
    application: StoredValue<String>,
    pub account: RwSignal<String>,
    pub namespace: RwSignal<String>,
    pub stack: RwSignal<String>,
    pub detail: RwSignal<String>,
    pub image: RwSignal<String>,
    pub replicas: RwSignal<String>,
    pub command: RwSignal<String>,
    pub args: RwSignal<String>,
    pub env: RwSignal<String>,
    pub ports: RwSignal<String>,
    pub cpu_request: RwSignal<String>,
    pub cpu_limit: RwSignal<String>,
    pub memory_request: RwSignal<String>,
    pub memory_limit: RwSignal<String>,
    pub labels: RwSignal<String>,
    pub node_selector: RwSignal<String>,
    pub load_balancers: RwSignal<Vec<String>>,
}

/// `key=value` lines, as the text areas take them.
fn pairs<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    entries
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ServerGroupFields {
    /// Inputs filled from `spec`.
    pub fn new(spec: &ServerGroupSpec) -> ServerGroupFields {
        let text = |s: &str| RwSignal::new(s.to_string());
        ServerGroupFields {
            application: StoredValue::new(spec.application.clone()),
            account: text(&spec.account),
            namespace: text(&spec.namespace),
            stack: text(&spec.stack),
            detail: text(&spec.detail),
            image: text(&spec.image),
            replicas: RwSignal::new(spec.replicas.to_string()),
            command: RwSignal::new(spec.command.join("\n")),
            args: RwSignal::new(spec.args.join("\n")),
            env: RwSignal::new(pairs(spec.env.iter().map(|e| (&e.name, &e.value)))),
            ports: RwSignal::new(
                spec.ports
                    .iter()
                    .map(|p| {
                        let name = if p.name.is_empty() {
                            String::new()
                        } else {
                            format!("{}:", p.name)
                        };
                        let protocol = if p.protocol == Default::default() {
                            String::new()
                        } else {
                            format!("/{}", p.protocol.as_str())
                        };
                        format!("{name}{}{protocol}", p.container_port)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            cpu_request: text(&spec.resources.cpu_request),
            cpu_limit: text(&spec.resources.cpu_limit),
            memory_request: text(&spec.resources.memory_request),
            memory_limit: text(&spec.resources.memory_limit),
            labels: RwSignal::new(pairs(&spec.labels)),
            node_selector: RwSignal::new(pairs(&spec.node_selector)),
            load_balancers: RwSignal::new(spec.load_balancers.clone()),
        }
    }

    /// The spec the inputs describe, checked as the server will check it. It reads every input
    /// tracked, so a `Memo` of it checks the input again as the user types.
    pub fn spec(&self) -> Result<ServerGroupSpec, AppError> {
        let spec = self.read()?;
        AppError::from_fields(spec.validate())?;
        Ok(spec)
    }

    /// The spec as typed, checked only where text must be read (numbers, `key=value` lines).
    pub fn read(&self) -> Result<ServerGroupSpec, AppError> {
        let get = |s: RwSignal<String>| s.get().trim().to_string();
        let spec = ServerGroupSpec {
            application: self.application.get_value(),
            account: get(self.account),
            namespace: get(self.namespace),
            stack: get(self.stack),
            detail: get(self.detail),
            image: get(self.image),
            replicas: parse::integer(&self.replicas.get(), "replicas", "Replicas")?,
            command: parse::lines(&self.command.get()),
            args: parse::lines(&self.args.get()),
            env: parse::env_vars(&self.env.get())?,
            ports: parse::container_ports(&self.ports.get())?,
            resources: Resources {
                cpu_request: get(self.cpu_request),
                cpu_limit: get(self.cpu_limit),
                memory_request: get(self.memory_request),
                memory_limit: get(self.memory_limit),
            },
            labels: parse::key_values(&self.labels.get(), "labels", "Labels")?,
            load_balancers: self.load_balancers.get(),
            node_selector: parse::key_values(
                &self.node_selector.get(),
                "nodeSelector",
                "Node selector",
            )?,
        };
        Ok(spec)
    }
}

/// The fields the form shows an error beside; a `FormError` under it shows the others.
pub const FIELDS: &[&str] = &[
    "account",
    "namespace",
    "stack",
    "detail",
    "image",
    "replicas",
    "command",
    "env",
    "ports",
    "resources.cpuRequest",
    "resources.cpuLimit",
    "resources.memoryRequest",
    "resources.memoryLimit",
    "labels",
    "nodeSelector",
    "loadBalancers",
];

/// Every input of a server group, each with the error `errors` has for it. Element ids start
/// with `id_prefix` (`{id_prefix}-image`, `{id_prefix}-replicas`, …). While `image_elsewhere`
/// says where the image comes from instead, that is shown in place of the image inputs.
#[component]
pub fn ServerGroupForm(
    fields: ServerGroupFields,
    errors: Signal<Option<AppError>>,
    id_prefix: &'static str,
    /// The application's live counters: the load balancers are read again as they change (one
    /// created from here, say).
    live: Live,
    #[prop(optional, into)] image_elsewhere: Signal<Option<String>>,
) -> impl IntoView {
    let id = move |name: &str| format!("{id_prefix}-{name}");
    let balancers = Resource::new(
        move || (fields.application.get_value(), live.cluster.get()),
        |(application, _)| application_load_balancers(application),
    );
    // "+ Create load balancer" opens its dialog over this form, in the account and namespace
    // chosen here. It is kept outside the list of load balancers (read again when one is made,
    // which would close it) and outside this form's element, since a form may not hold another.
    let creating = RwSignal::new(false);
    let create = move || {
        creating.get().then(|| {
            let spec = new_load_balancer(
                fields.application.get_value(),
                fields.account.get_untracked(),
                fields.namespace.get_untracked(),
            );
            view! {
                <Portal>
                    <LoadBalancerDialog spec=spec.clone() live on_close=Callback::new(move |()| creating.set(false)) />
                </Portal>
            }
        })
    };
    view! {
        <Placement account=fields.account namespace=fields.namespace errors id_prefix />
        <Transition fallback=|| view! { <Loading label="Loading load balancers…" /> }>
            {move || Suspend::new(async move {
                let balancers = balancers.await.unwrap_or_default();
                view! { <LoadBalancerChoices fields balancers id_prefix creating /> }
            })}
        </Transition>
        {create}
        <StackAndDetail stack=fields.stack detail=fields.detail errors id_prefix />
        <p class="hint image-elsewhere" hidden=move || image_elsewhere.with(Option::is_none)>
            {move || image_elsewhere.get().unwrap_or_default()}
        </p>
        <div class="image-inputs" hidden=move || image_elsewhere.with(Option::is_some)>
            <ImagePicker image=fields.image id_prefix=id("picker") />
            <TextField id=id("image") label="Container image" field="image" value=fields.image errors required=true
                hint="A reference such as registry.example.com/team/web:1.2.3" />
        </div>
        <TextField id=id("replicas") label="Replicas" field="replicas" value=fields.replicas errors kind="number" required=true />
        <details class="more-options">
            <summary>"Container options"</summary>
            <TextArea id=id("command") label="Command" field="command" value=fields.command errors hint="One entry per line; empty keeps the image's entrypoint." />
            <TextArea id=id("args") label="Arguments" field="command" value=fields.args errors hint="One argument per line." />
            <TextArea id=id("env") label="Environment" field="env" value=fields.env errors hint="NAME=value, one per line." />
            <TextField id=id("ports") label="Container ports" field="ports" value=fields.ports errors hint="Comma-separated: 8080, http:8080, 53/UDP" />
            <div class="form-grid">
                <TextField id=id("cpu-request") label="CPU request" field="resources.cpuRequest" value=fields.cpu_request errors hint="e.g. 100m" />
                <TextField id=id("cpu-limit") label="CPU limit" field="resources.cpuLimit" value=fields.cpu_limit errors />
                <TextField id=id("memory-request") label="Memory request" field="resources.memoryRequest" value=fields.memory_request errors hint="e.g. 128Mi" />
                <TextField id=id("memory-limit") label="Memory limit" field="resources.memoryLimit" value=fields.memory_limit errors />
            </div>
            <TextArea id=id("labels") label="Labels" field="labels" value=fields.labels errors hint="key=value, one per line." />
            <TextArea id=id("node-selector") label="Node selector" field="nodeSelector" value=fields.node_selector errors hint="key=value, one per line: schedule only onto nodes with these labels." />
        </details>
    }
}

/// The load balancers in the chosen account and namespace, to attach the server group to.
#[component]
fn LoadBalancerChoices(
    fields: ServerGroupFields,
    balancers: Vec<LoadBalancer>,
    id_prefix: &'static str,
    creating: RwSignal<bool>,
) -> impl IntoView {
    let options = move || {
        let (account, namespace) = (fields.account.get(), fields.namespace.get());
        balancers
            .iter()
            .filter(|b| b.account == account && b.namespace == namespace)
            .map(|b| b.name.clone())
            .collect::<Vec<_>>()
    };
    view! {
        <fieldset class="field-group">
            <legend>"Load balancers"</legend>
            {move || {
                let names = options();
                if names.is_empty() {
                    return view! { <p class="hint">"No load balancers in this namespace yet."</p> }.into_any();
                }
                names
                    .into_iter()
                    .map(|name| {
                        let id = format!("{id_prefix}-lb-{name}");
                        let checked = { let name = name.clone(); move || fields.load_balancers.get().contains(&name) };
                        let toggle = {
                            let name = name.clone();
                            move |ev: web_sys::Event| {
                                let on = event_target_checked(&ev);
                                fields.load_balancers.update(|list| {
                                    list.retain(|n| n != &name);
                                    if on {
                                        list.push(name.clone());
                                    }
                                });
                            }
                        };
                        view! {
                            <div class="field checkbox">
                                <input id=id.clone() type="checkbox" prop:checked=checked on:change=toggle />
                                <label for=id>{name}</label>
                            </div>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
            <button type="button" class="button small" id=format!("{id_prefix}-create-load-balancer")
                on:click=move |_| creating.set(true)>"+ Create load balancer"</button>
        </fieldset>
    }
}
