//! Infrastructure: the accounts Gennaker deploys to.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{
    feedback::{EmptyState, ErrorPanel, Loading},
    layout::PageHeader,
};
use crate::infrastructure::{list_docker_registries, list_kubernetes_accounts};
use crate::pipelines::notification_channels;
use gennaker_core::accounts::KubernetesAccountSummary;
use gennaker_core::pipelines::notifications::ChannelHealth;
use gennaker_core::registries::DockerRegistrySummary;

lazy_page!(
    /// The Infrastructure page.
    InfrastructureRoute => InfrastructurePage
);

#[component]
pub fn InfrastructurePage() -> impl IntoView {
    let live = crate::live::use_live(None);
    let accounts = Resource::new(
        move || live.accounts.get(),
        |_| async move {
            let kubernetes = list_kubernetes_accounts().await?;
            let registries = list_docker_registries().await?;
            let channels = notification_channels().await?;
            Ok::<_, crate::error::AppError>((kubernetes, registries, channels))
        },
    );

    view! {
        <Title text="Infrastructure" />
        <PageHeader
            title="Infrastructure"
            summary="The Kubernetes clusters Gennaker deploys to, and the docker registries it picks images from, and the channels notifications go out on. Health updates live."
        />
        <Transition fallback=|| view! { <Loading label="Loading accounts…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    accounts.await.map(|(accounts, registries, channels)| view! {
                        <AccountList accounts />
                        <RegistryList registries />
                        <ChannelList channels />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn AccountList(accounts: Vec<KubernetesAccountSummary>) -> impl IntoView {
    if accounts.is_empty() {
        return view! {
            <EmptyState title="No Kubernetes accounts">
                <p>
                    "Gennaker found no kubeconfig. Set " <code>"KUBECONFIG"</code>
                    ", pass " <code>"--kubeconfig"</code> ", or list accounts under "
                    <code>"[kubernetes]"</code> " in the configuration file."
                </p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <ul class="card-list" aria-label="Kubernetes accounts">
            {accounts.into_iter().map(|account| view! { <AccountCard account /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn AccountCard(account: KubernetesAccountSummary) -> impl IntoView {
    let namespaces = if account.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        account.namespaces.join(", ")
    };
    let context = account
        .context
        .unwrap_or_else(|| "current context".to_string());
    view! {
        <li class="card account">
            <div class="card-title">
                <h2>{account.name}</h2>
                <span class="badge">"Kubernetes"</span>
                <span class=format!("status-badge {}", account.health.status.class())>{account.health.status.label()}</span>
            </div>
            {account.health.message.map(|m| view! { <p class="form-error">"Cannot watch the cluster: " {m}</p> })}
            <dl class="facts">
                <dt>"Context"</dt>
                <dd>{context}</dd>
                <dt>"Namespaces"</dt>
                <dd>{namespaces}</dd>
                <dt>"Docker registries"</dt>
                <dd>{if account.docker_registries.is_empty() { "none".to_string() } else { account.docker_registries.join(", ") }}</dd>
            </dl>
            {account
                .warnings
                .into_iter()
                .map(|warning| view! { <p class="warning">"Warning: " {warning}</p> })
                .collect_view()}
        </li>
    }
}

#[component]
fn RegistryList(registries: Vec<DockerRegistrySummary>) -> impl IntoView {
    if registries.is_empty() {
        return view! {
            <p class="hint registries-hint">
                "No docker-registry accounts: add " <code>"[[docker_registries]]"</code>
                " to the configuration to pick images from a registry's tags."
            </p>
        }
        .into_any();
    }
    view! {
        <h2 class="section-title">"Docker registries"</h2>
        <ul class="card-list" aria-label="Docker registries">
            {registries
                .into_iter()
                .map(|registry| view! {
                    <li class="card account">
                        <div class="card-title">
                            <h2>{registry.name.clone()}</h2>
                            <span class="badge">"Docker registry"</span>
                            <span class=format!("status-badge {}", registry.health.status.class())>{registry.health.status.label()}</span>
                        </div>
                        {registry.health.message.clone().map(|m| view! { <p class="form-error">"Cannot reach the registry: " {m}</p> })}
                        <dl class="facts">
                            <dt>"Address"</dt>
                            <dd>{registry.address.clone()}</dd>
                            <dt>"User"</dt>
                            <dd>{registry.username.clone().unwrap_or_else(|| "anonymous".into())}</dd>
                        </dl>
                    </li>
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// The notification channels used since the server started, failing ones first.
#[component]
fn ChannelList(mut channels: Vec<ChannelHealth>) -> impl IntoView {
    if channels.is_empty() {
        return view! {
            <p class="hint channels-hint">"No notification has been sent since the server started."</p>
        }
        .into_any();
    }
    channels.sort_by(|a, b| b.failures.cmp(&a.failures).then_with(|| a.to.cmp(&b.to)));
    view! {
        <h2 class="section-title">"Notification channels"</h2>
        <ul class="card-list" aria-label="Notification channels">
            {channels
                .into_iter()
                .map(|channel| {
                    let (class, label) = if channel.failures == 0 {
                        ("healthy", "Delivering".to_string())
                    } else {
                        ("unreachable", format!("Failing ({} in a row)", channel.failures))
                    };
                    view! {
                        <li class="card account notification-channel">
                            <div class="card-title">
                                <h2>{channel.to.clone()}</h2>
                                <span class="badge">{channel.channel.clone()}</span>
                                <span class=format!("status-badge {class}")>{label}</span>
                            </div>
                            {channel.last_error.clone().map(|e| view! { <p class="form-error">"Last attempt: " {e}</p> })}
                            <dl class="facts">
                                <dt>"Last attempt"</dt>
                                <dd>{channel.last_attempt.exact()}</dd>
                            </dl>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
