//! Live updates: the server pushes an event named by its [`Topic`] whenever something a page
//! shows may have changed (`/api/v1/events`, server-sent events). A page reads the counters in
//! its resources' sources, so they re-fetch when the counter moves.

use leptos::prelude::*;

/// What changed, as the name of a server-sent event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Objects in a cluster: server groups, load balancers, security groups, Jobs.
    Cluster,
    /// Tasks and their steps.
    Task,
    /// The health of Kubernetes and docker-registry accounts.
    Accounts,
}

impl Topic {
    pub const ALL: [Topic; 3] = [Topic::Cluster, Topic::Task, Topic::Accounts];

    /// The event name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Cluster => "cluster",
            Topic::Task => "task",
            Topic::Accounts => "accounts",
        }
    }

    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Counters that move when the server reports a change of that kind.
#[derive(Clone, Copy)]
pub struct Live {
    pub cluster: RwSignal<u64>,
    pub task: RwSignal<u64>,
    pub accounts: RwSignal<u64>,
}

impl Live {
    /// The counter that moves on `topic`.
    pub fn counter(&self, topic: Topic) -> RwSignal<u64> {
        match topic {
            Topic::Cluster => self.cluster,
            Topic::Task => self.task,
            Topic::Accounts => self.accounts,
        }
    }
}

/// Subscribes to changes about `application` (or everything) for as long as the calling
/// component lives.
pub fn use_live(application: Option<String>) -> Live {
    let live = Live {
        cluster: RwSignal::new(0),
        task: RwSignal::new(0),
        accounts: RwSignal::new(0),
    };
    #[cfg(feature = "hydrate")]
    subscribe(live, application);
    #[cfg(not(feature = "hydrate"))]
    let _ = application;
    live
}

#[cfg(feature = "hydrate")]
fn subscribe(live: Live, application: Option<String>) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;

    let url = match &application {
        Some(app) => format!("/api/v1/events?application={app}"),
        None => "/api/v1/events".to_string(),
    };
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    for (topic, counter) in Topic::ALL.map(|topic| (topic.as_str(), live.counter(topic))) {
        let callback =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                counter.update(|n| *n += 1);
            });
        let _ = source.add_event_listener_with_callback(topic, callback.as_ref().unchecked_ref());
        // The listener lives as long as the EventSource, which is closed on cleanup.
        callback.forget();
    }
    // After a reconnect, anything may have changed while the stream was down.
    let reopened = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        live.cluster.update(|n| *n += 1);
        live.task.update(|n| *n += 1);
        live.accounts.update(|n| *n += 1);
    });
    source.set_onopen(Some(reopened.as_ref().unchecked_ref()));
    reopened.forget();
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || source.close());
}
