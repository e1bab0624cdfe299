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
    /// Pipelines and their executions.
    Pipeline,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Cluster,
        Topic::Task,
        Topic::Accounts,
        Topic::Pipeline,
    ];

    /// The event name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Cluster => "cluster",
            Topic::Task => "task",
            Topic::Accounts => "accounts",
            Topic::Pipeline => "pipeline",
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
    pub pipeline: RwSignal<u64>,
}

impl Live {
    /// The counter that moves on `topic`.
    pub fn counter(&self, topic: Topic) -> RwSignal<u64> {
        match topic {
            Topic::Cluster => self.cluster,
            Topic::Task => self.task,
            Topic::Accounts => self.accounts,
            Topic::Pipeline => self.pipeline,
        }
    }

    /// Moves the counter of `topic`, so what reads it re-fetches.
    #[cfg(feature = "hydrate")]
    fn bump(&self, topic: Topic) {
        // A counter of a page that is gone moves nowhere.
        let _ = self.counter(topic).try_update(|n| *n += 1);
    }
}

/// Subscribes to changes about `application` (or everything) for as long as the calling
/// component lives. Call it before creating the resources that read its counters.
pub fn use_live(application: Option<String>) -> Live {
    let live = Live {
        cluster: RwSignal::new(0),
        task: RwSignal::new(0),
        accounts: RwSignal::new(0),
        pipeline: RwSignal::new(0),
    };
    // A server-rendered page carries the count of changes the server had announced when it
    // read what the page shows; listening from that count, the page re-reads only if it missed
    // one, so hydrating does not ask for everything a second time.
    let rendered_at = SharedValue::new(announced_changes).into_inner();
    #[cfg(feature = "hydrate")]
    {
        use futures::future::{AbortHandle, Abortable};
        let query = application
            .iter()
            .map(|app| format!("application={app}"))
            .chain(rendered_at.map(|count| format!("since={count}")))
            .collect::<Vec<_>>();
        let url = format!("/api/v1/events?{}", query.join("&"));
        let (stop, registration) = AbortHandle::new_pair();
        leptos::task::spawn_local(async move {
            let _ = Abortable::new(follow(live, url, rendered_at.is_some()), registration).await;
        });
        // Dropping the stream closes it.
        on_cleanup(move || stop.abort());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (application, rendered_at);
    live
}

/// How many changes the server has announced; `None` in the browser, where a page that was
/// not server-rendered has just read what it shows and re-reads it when the stream opens.
fn announced_changes() -> Option<u64> {
    #[cfg(feature = "ssr")]
    {
        crate::services::services()
            .ok()
            .map(|services| services.changes.published())
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// How long to wait before opening the stream again after the browser gave up on it (the
/// server answered with an error, say); while the connection merely drops, the browser
/// reconnects by itself.
#[cfg(feature = "hydrate")]
const REOPEN: std::time::Duration = std::time::Duration::from_secs(5);

/// Moves `live`'s counters on the events of `url` for as long as it is polled. Every (re)open
/// moves all of them: anything may have changed while the stream was down; but not the first
/// when `url` says since when the page is up to date (the server then tells what it missed).
#[cfg(feature = "hydrate")]
async fn follow(live: Live, url: String, mut up_to_date: bool) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;

    loop {
        if let Ok(mut source) = EventSource::new(&url) {
            let names = Topic::ALL.map(Topic::as_str).into_iter().chain(["open"]);
            let streams: Vec<_> = names
                .filter_map(|name| source.subscribe(name).ok())
                .collect();
            let mut events = futures::stream::select_all(streams);
            // An error ends the stream: the browser closed it for good.
            while let Some(Ok((name, _))) = events.next().await {
                match Topic::parse(&name) {
                    Some(topic) => live.bump(topic),
                    None if std::mem::take(&mut up_to_date) => {}
                    None => Topic::ALL.into_iter().for_each(|topic| live.bump(topic)),
                }
            }
        }
        sleep(REOPEN).await;
    }
}

#[cfg(feature = "hydrate")]
async fn sleep(duration: std::time::Duration) {
    let (done, waited) = futures::channel::oneshot::channel();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        duration,
    );
    let _ = waited.await;
}
