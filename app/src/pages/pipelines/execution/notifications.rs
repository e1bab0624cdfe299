//! The notifications sent for an execution: each event's deliveries, where they went, and how
//! the last attempt went (status by colour and text). Live: re-read when the execution moves.

use leptos::prelude::*;

use crate::pipelines::execution_notifications;
use gennaker_core::ids::ExecutionId;
use gennaker_core::pipelines::notifications::event_label;

#[component]
pub fn ExecutionNotifications(id: ExecutionId, live: Signal<u64>) -> impl IntoView {
    let deliveries = Resource::new(move || live.get(), move |_| execution_notifications(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = deliveries.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card execution-notifications" aria-labelledby="notifications-title">
                        <h2 id="notifications-title">"Notifications"</h2>
                        <div class="table-scroll">
                            <table class="tasks-table">
                                <thead><tr><th>"Event"</th><th>"Sent by"</th><th>"To"</th><th>"Status"</th><th>"Attempts"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let event = match &d.stage {
                                            Some(stage) => format!("{stage}: {}", event_label(&d.event)),
                                            None => event_label(&d.event).to_string(),
                                        };
                                        view! {
                                            <tr class="notification-delivery">
                                                <td>{event}</td>
                                                <td>{d.channel.clone()}</td>
                                                <td class="delivery-to">{d.to.clone()}</td>
                                                <td>
                                                    <span class=format!("status-badge {}", d.status.class())>{d.status.label()}</span>
                                                    {d.last_error.clone().map(|e| view! { <span class="hint delivery-error">" " {e}</span> })}
                                                </td>
                                                <td>{d.attempts}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                })
            })}
        </Transition>
    }
}
