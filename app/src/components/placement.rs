//! Where an object goes and what it is called: the Kubernetes account and namespace, offered
//! from the configured accounts (the first account and its `default` namespace are chosen when
//! nothing is yet), and the stack and detail its name adds to the application's.

use leptos::prelude::*;

use crate::components::feedback::Loading;
use crate::components::fields::{SelectField, TextField};
use crate::error::AppError;
use crate::infrastructure::list_kubernetes_accounts;
use gennaker_core::accounts::KubernetesAccountSummary;

/// Account and namespace selects filled from the configured accounts.
#[component]
pub fn Placement(
    account: RwSignal<String>,
    namespace: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    id_prefix: &'static str,
    /// An existing object's place is shown, not offered.
    #[prop(optional)]
    locked: bool,
    #[prop(optional)] namespace_label: Option<&'static str>,
) -> impl IntoView {
    let namespace_label = namespace_label.unwrap_or("Namespace");
    let accounts = Resource::new(|| (), |_| list_kubernetes_accounts());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading accounts…" /> }>
            {move || Suspend::new(async move {
                let accounts: Vec<KubernetesAccountSummary> = accounts.await.unwrap_or_default();
                if account.get_untracked().is_empty()
                    && let Some(first) = accounts.first()
                {
                    account.set(first.name.clone());
                    let ns = if first.available_namespaces.iter().any(|n| n == "default") { "default".to_string() } else { first.available_namespaces.first().cloned().unwrap_or_default() };
                    namespace.set(ns);
                }
                let account_options: Vec<(String, String)> = accounts.iter().map(|a| (a.name.clone(), a.name.clone())).collect();
                let namespace_options = Signal::derive(move || {
                    let chosen = account.get();
                    let mut names = accounts.iter().find(|a| a.name == chosen).map(|a| a.available_namespaces.clone()).unwrap_or_default();
                    let current = namespace.get_untracked();
                    if !current.is_empty() && !names.contains(&current) {
                        names.insert(0, current);
                    }
                    names.into_iter().map(|n| (n.clone(), n)).collect::<Vec<_>>()
                });
                if locked {
                    view! {
                        <p class="hint">{format!("In {} / {} (the account and namespace of an existing object cannot change).", account.get_untracked(), namespace.get_untracked())}</p>
                    }.into_any()
                } else {
                    view! {
                        <div class="form-grid">
                            <SelectField id=format!("{id_prefix}-account") label="Account" field="account" value=account errors options=Signal::stored(account_options) />
                            <SelectField id=format!("{id_prefix}-namespace") label=namespace_label field="namespace" value=namespace errors options=namespace_options />
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// Stack and detail, the optional parts of a name after the application's (`web-prod-canary`).
#[component]
pub fn StackAndDetail(
    stack: RwSignal<String>,
    detail: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    id_prefix: &'static str,
) -> impl IntoView {
    view! {
        <div class="form-grid">
            <TextField id=format!("{id_prefix}-stack") label="Stack" field="stack" value=stack errors hint="Optional: prod, staging…" />
            <TextField id=format!("{id_prefix}-detail") label="Detail" field="detail" value=detail errors hint="Optional: canary, worker…" />
        </div>
    }
}
