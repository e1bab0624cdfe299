//! A mocked Kubernetes API server for tests without a cluster (controller-rs'
//! `src/fixtures.rs` is the model): a `kube::Client` whose requests are answered in memory.
//! It keeps objects by collection and name, answers get, list, watch (the cache's watchers
//! see every change), create (409 when the name is taken), server-side apply and merge
//! patches, replace and delete, with the API server's `Status` bodies for 404 and 409; and it
//! records every request, so a test can count the writes a step made.
//!
//! Not a whole API server: no field selectors, label selectors, admission, garbage
//! collection or controllers (a ReplicaSet gets no Pods). What a test needs beyond that it
//! seeds with [`FakeApiServer::insert`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::http::{Method, Request, Response, StatusCode};
use bytes::Bytes;
use futures::StreamExt;
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The mocked API server's state, shared with the client's service.
#[derive(Clone, Default)]
pub struct FakeApiServer {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Collection path (`/apis/apps/v1/namespaces/web/replicasets`) → name → object.
    objects: BTreeMap<String, BTreeMap<String, Value>>,
    /// Every request: method and path, without the query.
    requests: Vec<(Method, String)>,
    /// Open watches: collection path and where its events go.
    watches: Vec<(String, mpsc::UnboundedSender<Bytes>)>,
    resource_version: u64,
}

/// A request's path, split into the collection it names and the object's name.
struct Path {
    collection: String,
    name: Option<String>,
}

impl Path {
    /// `/api/v1/namespaces/{ns}/{resource}/{name}` and `/apis/{group}/{version}/...`; a
    /// subresource (`/status`, `/scale`) counts as its object.
    fn parse(path: &str) -> Option<Path> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let prefix = match parts.first() {
            Some(&"api") => 2,
            Some(&"apis") => 3,
            _ => return None,
        };
        let rest = parts.get(prefix..)?;
        let (collection_len, name) = if rest.first() == Some(&"namespaces") && rest.len() >= 3 {
            (prefix + 3, rest.get(3))
        } else {
            (prefix + 1, rest.get(1))
        };
        Some(Path {
            collection: format!("/{}", parts.get(..collection_len)?.join("/")),
            name: name.map(|n| n.to_string()),
        })
    }
}

type Answer = Response<UnsyncBoxBody<Bytes, Infallible>>;

fn answer(status: StatusCode, body: &Value) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())).boxed_unsync())
        .unwrap_or_default()
}

/// The API server's `Status` for a refusal.
fn refusal(code: StatusCode, reason: &str, message: String) -> Answer {
    answer(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code.as_u16(),
        }),
    )
}

/// JSON merge patch (RFC 7396), which also serves as server-side apply here.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

impl FakeApiServer {
    /// A new, empty API server and a client of it whose default namespace is `default`.
    pub fn start() -> (FakeApiServer, kube::Client) {
        let server = FakeApiServer::default();
        let handler = server.clone();
        let service = tower::service_fn(move |request: Request<Body>| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler.handle(request).await) }
        });
        (server, kube::Client::new(service, "default"))
    }

    /// Stores `object` in `collection` as if created there.
    pub fn insert(&self, collection: &str, object: Value) {
        let mut state = self.lock();
        state.store(collection, object, "ADDED");
    }

    /// The object `name` of `collection`, as stored now.
    pub fn get(&self, collection: &str, name: &str) -> Option<Value> {
        self.lock().objects.get(collection)?.get(name).cloned()
    }

    /// The paths of the requests made with `method`, in order.
    pub fn requests(&self, method: Method) -> Vec<String> {
        self.lock()
            .requests
            .iter()
            .filter(|(m, _)| *m == method)
            .map(|(_, path)| path.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn handle(&self, request: Request<Body>) -> Answer {
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let query = request.uri().query().unwrap_or_default().to_string();
        // Server-side apply is a PATCH of this type; a merge patch of a missing object is a 404.
        let apply = request
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/apply-patch"));
        let body = match request.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                return refusal(StatusCode::BAD_REQUEST, "BadRequest", error.to_string());
            }
        };
        let watch = query
            .split('&')
            .any(|p| p == "watch=true" || p == "watch=1");
        let mut state = self.lock();
        state.requests.push((method.clone(), path.clone()));
        if path == "/version" {
            return answer(
                StatusCode::OK,
                &json!({
                    "major": "1", "minor": "34", "gitVersion": "v1.34.0", "gitCommit": "fake",
                    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                    "goVersion": "go1.25", "compiler": "gc", "platform": "linux/amd64",
                }),
            );
        }
        let Some(Path { collection, name }) = Path::parse(&path) else {
            return refusal(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("no such path {path}"),
            );
        };
        let parsed = || serde_json::from_slice::<Value>(&body);
        match (method, name) {
            (Method::GET, None) if watch => state.watch(collection),
            (Method::GET, None) => state.list(&collection),
            (Method::GET, Some(name)) => {
                match state.objects.get(&collection).and_then(|o| o.get(&name)) {
                    Some(object) => answer(StatusCode::OK, object),
                    None => not_found(&collection, &name),
                }
            }
            (Method::POST, None) => match parsed() {
                Ok(object) => state.create(&collection, object),
                Err(error) => refusal(StatusCode::BAD_REQUEST, "BadRequest", error.to_string()),
            },
            (Method::PATCH, Some(name)) => match parsed() {
                Ok(patch) => {
                    let existing = state
                        .objects
                        .get(&collection)
                        .and_then(|o| o.get(&name))
                        .cloned();
                    match existing {
                        Some(mut object) => {
                            merge(&mut object, &patch);
                            answer(
                                StatusCode::OK,
                                &state.store(&collection, object, "MODIFIED"),
                            )
                        }
                        None if apply => answer(
                            StatusCode::CREATED,
                            &state.store(&collection, patch, "ADDED"),
                        ),
                        None => not_found(&collection, &name),
                    }
                }
                Err(error) => refusal(StatusCode::BAD_REQUEST, "BadRequest", error.to_string()),
            },
            (Method::PUT, Some(name)) => match parsed() {
                Ok(object)
                    if state
                        .objects
                        .get(&collection)
                        .is_some_and(|o| o.contains_key(&name)) =>
                {
                    answer(
                        StatusCode::OK,
                        &state.store(&collection, object, "MODIFIED"),
                    )
                }
                Ok(_) => not_found(&collection, &name),
                Err(error) => refusal(StatusCode::BAD_REQUEST, "BadRequest", error.to_string()),
            },
            (Method::DELETE, Some(name)) => {
                match state
                    .objects
                    .get_mut(&collection)
                    .and_then(|o| o.remove(&name))
                {
                    Some(object) => {
                        state.notify(&collection, "DELETED", &object);
                        answer(StatusCode::OK, &object)
                    }
                    None => not_found(&collection, &name),
                }
            }
            (method, _) => refusal(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{method} {path} is not served by the mocked API server"),
            ),
        }
    }
}

fn not_found(collection: &str, name: &str) -> Answer {
    let resource = collection.rsplit('/').next().unwrap_or(collection);
    refusal(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{resource} \"{name}\" not found"),
    )
}

impl State {
    fn next_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// Stores `object` with a new resource version (and a uid when it has none), tells the
    /// collection's watches, and gives the stored object.
    fn store(&mut self, collection: &str, mut object: Value, event: &str) -> Value {
        let version = self.next_version();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.insert("resourceVersion".into(), json!(version));
            metadata
                .entry("uid")
                .or_insert_with(|| json!(format!("uid-{version}")));
            metadata
                .entry("creationTimestamp")
                .or_insert_with(|| json!("2026-01-01T00:00:00Z"));
        }
        self.objects
            .entry(collection.to_string())
            .or_default()
            .insert(name, object.clone());
        self.notify(collection, event, &object);
        object
    }

    fn create(&mut self, collection: &str, object: Value) -> Answer {
        let Some(name) = object["metadata"]["name"].as_str().map(str::to_string) else {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name: Required value".into(),
            );
        };
        if self
            .objects
            .get(collection)
            .is_some_and(|o| o.contains_key(&name))
        {
            let resource = collection.rsplit('/').next().unwrap_or(collection);
            return refusal(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{resource} \"{name}\" already exists"),
            );
        }
        answer(
            StatusCode::CREATED,
            &self.store(collection, object, "ADDED"),
        )
    }

    fn list(&mut self, collection: &str) -> Answer {
        let items: Vec<Value> = self
            .objects
            .get(collection)
            .map(|o| o.values().cloned().collect())
            .unwrap_or_default();
        answer(
            StatusCode::OK,
            &json!({
                "kind": "List", "apiVersion": "v1",
                "metadata": {"resourceVersion": self.resource_version.to_string()},
                "items": items,
            }),
        )
    }

    /// A watch that stays open: every later change of the collection is a line of it.
    fn watch(&mut self, collection: String) -> Answer {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.watches.push((collection, sender));
        let lines = futures::stream::unfold(receiver, |mut receiver| async move {
            let line = receiver.recv().await?;
            Some((Ok::<_, Infallible>(Frame::data(line)), receiver))
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(StreamBody::new(lines.boxed()).boxed_unsync())
            .unwrap_or_default()
    }

    fn notify(&mut self, collection: &str, event: &str, object: &Value) {
        let line = Bytes::from(format!("{}\n", json!({"type": event, "object": object})));
        self.watches
            .retain(|(watched, sender)| watched != collection || sender.send(line.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_collection_and_object() {
        let parsed = |p: &str| Path::parse(p).map(|p| (p.collection, p.name));
        assert_eq!(
            parsed("/apis/apps/v1/namespaces/web/replicasets/web-v001"),
            Some((
                "/apis/apps/v1/namespaces/web/replicasets".into(),
                Some("web-v001".into())
            ))
        );
        assert_eq!(
            parsed("/api/v1/namespaces/web/pods"),
            Some(("/api/v1/namespaces/web/pods".into(), None))
        );
        assert_eq!(
            parsed("/api/v1/namespaces/web"),
            Some(("/api/v1/namespaces".into(), Some("web".into())))
        );
        assert_eq!(
            parsed("/apis/apps/v1/namespaces/web/replicasets/web-v001/scale"),
            Some((
                "/apis/apps/v1/namespaces/web/replicasets".into(),
                Some("web-v001".into())
            ))
        );
        assert_eq!(parsed("/healthz").map(|p| p.0), None);
    }
}
