//! Says, above an application's tabs, when a Kubernetes account cannot be reached: Gennaker
//! then shows what its cache last saw, which may be out of date. It updates live and goes
//! away by itself once the account is back.

use leptos::prelude::*;

use crate::infrastructure::list_kubernetes_accounts;
use crate::live::Live;
use gennaker_core::accounts::HealthStatus;

#[component]
pub fn StaleNotice(live: Live) -> impl IntoView {
    let accounts = Resource::new(
        move || live.accounts.get(),
        |_| async move { list_kubernetes_accounts().await },
    );
    let unreachable = move || {
        accounts
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.health.status == HealthStatus::Unreachable)
            .collect::<Vec<_>>()
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                unreachable()
                    .into_iter()
                    .map(|account| {
                        view! {
                            <p class="stale-notice" role="status">
                                <strong>{format!("Kubernetes account {} is unreachable.", account.name)}</strong>
                                " What Gennaker shows of it may be out of date; it keeps trying and updates by itself once the cluster answers."
                                {account.health.message.map(|m| view! { <span class="stale-notice-error">{m}</span> })}
                            </p>
                        }
                    })
                    .collect_view()
            }}
        </Transition>
    }
}
