//! `/api/v1/events?application=web`: server-sent events telling a page to re-read what it
//! shows. Each event is named by its [`Topic`] (`cluster`, `task`, `accounts`); bursts are
//! merged into one event per topic every 100 ms, so 2,000 Pods starting do not send 2,000
//! events. `&since=N` names the count of changes the page was rendered at (see
//! [`ChangeFeed`]): when more were announced since, every topic is sent at once.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};

use futures::Stream;
use gennaker_app::live::Topic;
use gennaker_app::services::ChangeFeed;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::Routes;
use super::{ApiError, query};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().get("/events", events)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    application: Option<String>,
    since: Option<u64>,
}

/// Merges changes that arrive within this long of the first into one event per topic.
const COALESCE: Duration = Duration::from_millis(100);

async fn events(
    State(state): State<AppState>,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Params { application, since } = query(params)?;
    let receiver = state.events.subscribe();
    // Subscribed first, counted second: a change in between is both counted and received.
    let missed = since.is_some_and(|since| since != state.events.published());
    let stream = futures::stream::unfold(
        (receiver, application, missed),
        |(mut receiver, application, missed)| async move {
            let mut topics = BTreeSet::new();
            if missed {
                topics.extend(Topic::ALL);
            }
            // Wait for the first relevant change, then gather for a moment.
            while topics.is_empty() {
                match receiver.recv().await {
                    Ok(change) if change.concerns(application.as_deref()) => {
                        topics.insert(change.topic());
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => topics.extend(Topic::ALL),
                    Err(RecvError::Closed) => return None,
                }
            }
            let deadline = tokio::time::Instant::now() + COALESCE;
            while let Ok(result) = tokio::time::timeout_at(deadline, receiver.recv()).await {
                match result {
                    Ok(change) if change.concerns(application.as_deref()) => {
                        topics.insert(change.topic());
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => topics.extend(Topic::ALL),
                    Err(RecvError::Closed) => break,
                }
            }
            let events: Vec<Result<Event, Infallible>> = topics
                .into_iter()
                .map(|topic| Ok(Event::default().event(topic.as_str()).data(topic.as_str())))
                .collect();
            Some((
                futures::stream::iter(events),
                (receiver, application, false),
            ))
        },
    );
    use futures::StreamExt;
    let stopping = state.stopping.clone().cancelled_owned();
    Ok(Sse::new(stream.flatten().take_until(stopping)).keep_alive(KeepAlive::default()))
}
