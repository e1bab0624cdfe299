//! Tasks in the store. Each task is one object, `tasks/<id>.json`, rewritten as it runs. Beside
//! it, empty marker objects index the tasks so that start-up reads only what it must:
//! `task-index/applications/<application>/<id>` for every task and `task-index/running/<id>`
//! while it runs. At start the server lists the markers (keys only) and reads the bodies of
//! the running tasks; a finished task's body is read when someone looks at it.
//!
//! Writes go through one lock and the in-memory index changes only once the store has the
//! write, so the index and the store never disagree. A new task's markers are written before
//! its body: a crash between the two leaves markers without a body, which the next start
//! removes; never a body the index does not know.
//!
//! Finished tasks older than the retention age are removed by [`TaskStore::sweep`]. Tasks
//! written by earlier versions (schema 1, no markers) are indexed once, at the first start.

use std::collections::BTreeMap;
use std::sync::Arc;

use gennaker_app::ids::TaskId;
use gennaker_app::tasks::model::Task;
use gennaker_app::time::Timestamp;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::store::{Backend, Precondition, Result, StoreError};

/// Schema 2: `origin` (an operation or a pipeline stage) instead of schema 1's `operation`.
const SCHEMA: u64 = 2;
const BODIES: &str = "tasks/";
const BY_APPLICATION: &str = "task-index/applications/";
const RUNNING: &str = "task-index/running/";
/// Written once every task has markers.
const INDEXED: &str = "task-index/version-2";
/// How many finished tasks stay in memory after they were read.
const RECENT: usize = 1000;

/// What start-up found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Opened {
    pub tasks: usize,
    pub running: usize,
    /// Tasks of an earlier version indexed at this start.
    pub indexed: usize,
}

struct Index {
    /// Every task's application.
    applications: BTreeMap<TaskId, String>,
    /// Unfinished tasks: the runner's working set.
    running: BTreeMap<TaskId, Task>,
    /// Finished tasks read lately.
    recent: BTreeMap<TaskId, Task>,
}

pub struct TaskStore {
    backend: Arc<Backend>,
    index: Mutex<Index>,
}

fn body_key(id: TaskId) -> String {
    format!("{BODIES}{id}.json")
}

fn application_key(application: &str, id: TaskId) -> String {
    format!("{BY_APPLICATION}{application}/{id}")
}

fn running_key(id: TaskId) -> String {
    format!("{RUNNING}{id}")
}

fn corrupt(key: &str, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Reads a stored task of any schema this version knows.
fn decode(key: &str, bytes: &[u8]) -> Result<Task> {
    let mut envelope: Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(key, e.to_string()))?;
    let schema = envelope.get("schema").and_then(Value::as_u64).unwrap_or(0);
    if schema > SCHEMA {
        return Err(corrupt(
            key,
            format!("written by a newer Gennaker (schema {schema})"),
        ));
    }
    let mut task = envelope
        .get_mut("task")
        .map(Value::take)
        .ok_or_else(|| corrupt(key, "no task in the envelope"))?;
    if schema == 1
        && let Some(object) = task.as_object_mut()
        && let Some(operation) = object.remove("operation")
    {
        object.insert(
            "origin".into(),
            serde_json::json!({"kind": "operation", "operation": operation}),
        );
    }
    serde_json::from_value(task).map_err(|e| corrupt(key, e.to_string()))
}

fn encode(task: &Task) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(&serde_json::json!({"schema": SCHEMA, "task": task}))
        .map_err(|e| corrupt(&body_key(task.id), e.to_string()))
}

/// The id at the end of a marker key.
fn marker_id(key: &str) -> Option<TaskId> {
    key.rsplit('/').next().and_then(|id| TaskId::parse(id).ok())
}

impl TaskStore {
    /// Lists the markers and reads the running tasks; indexes an earlier version's tasks once.
    pub async fn open(backend: Arc<Backend>) -> Result<(TaskStore, Opened)> {
        let mut opened = Opened::default();
        if backend.get(INDEXED).await?.is_none() {
            opened.indexed = Self::index_earlier_tasks(&backend).await?;
            backend.put(INDEXED, Vec::new(), Precondition::None).await?;
        }
        let mut applications = BTreeMap::new();
        for key in backend.list(BY_APPLICATION).await? {
            let rest = key.strip_prefix(BY_APPLICATION).unwrap_or_default();
            if let (Some((application, _)), Some(id)) = (rest.rsplit_once('/'), marker_id(&key)) {
                applications.insert(id, application.to_string());
            }
        }
        let mut running = BTreeMap::new();
        for key in backend.list(RUNNING).await? {
            let Some(id) = marker_id(&key) else { continue };
            match backend.get(&body_key(id)).await? {
                Some(object) => {
                    let task = decode(&body_key(id), &object.bytes)?;
                    if task.status.is_finished() {
                        // Finished, but stopped before its marker was removed.
                        backend.delete(&key).await?;
                    } else {
                        running.insert(id, task);
                    }
                }
                None => {
                    // Stopped between writing the markers and the body: the task never was.
                    backend.delete(&key).await?;
                    if let Some(application) = applications.remove(&id) {
                        backend.delete(&application_key(&application, id)).await?;
                    }
                }
            }
        }
        opened.tasks = applications.len();
        opened.running = running.len();
        let store = TaskStore {
            backend,
            index: Mutex::new(Index {
                applications,
                running,
                recent: BTreeMap::new(),
            }),
        };
        Ok((store, opened))
    }

    /// Writes the markers of tasks stored before markers existed (every body is read, once).
    async fn index_earlier_tasks(backend: &Backend) -> Result<usize> {
        let mut count = 0;
        for key in backend.list(BODIES).await? {
            let Some(object) = backend.get(&key).await? else {
                continue;
            };
            let task = decode(&key, &object.bytes)?;
            backend
                .put(
                    &application_key(&task.application, task.id),
                    Vec::new(),
                    Precondition::None,
                )
                .await?;
            if !task.status.is_finished() {
                backend
                    .put(&running_key(task.id), Vec::new(), Precondition::None)
                    .await?;
            }
            count += 1;
        }
        if count > 0 {
            tracing::info!(tasks = count, "indexed tasks stored by an earlier version");
        }
        Ok(count)
    }

    /// Stores a new task.
    pub async fn insert(&self, task: Task) -> Result<Task> {
        let mut index = self.index.lock().await;
        self.backend
            .put(
                &application_key(&task.application, task.id),
                Vec::new(),
                Precondition::None,
            )
            .await?;
        let finished = task.status.is_finished();
        if !finished {
            self.backend
                .put(&running_key(task.id), Vec::new(), Precondition::None)
                .await?;
        }
        self.backend
            .put(&body_key(task.id), encode(&task)?, Precondition::None)
            .await?;
        index.applications.insert(task.id, task.application.clone());
        if finished {
            index.remember(task.clone());
        } else {
            index.running.insert(task.id, task.clone());
        }
        Ok(task)
    }

    /// Changes a running task with `change` and stores it. A task that finishes with this
    /// change leaves the running set.
    pub async fn update(&self, id: TaskId, change: impl FnOnce(&mut Task)) -> Result<Task> {
        let mut index = self.index.lock().await;
        let mut task = index
            .running
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                kind: "running task",
                id: id.to_string(),
            })?;
        change(&mut task);
        self.backend
            .put(&body_key(id), encode(&task)?, Precondition::None)
            .await?;
        if task.status.is_finished() {
            self.backend.delete(&running_key(id)).await?;
            index.running.remove(&id);
            index.remember(task.clone());
        } else {
            index.running.insert(id, task.clone());
        }
        Ok(task)
    }

    /// The task, from memory or the store.
    pub async fn get(&self, id: TaskId) -> Result<Option<Task>> {
        let mut index = self.index.lock().await;
        if let Some(task) = index.running.get(&id).or_else(|| index.recent.get(&id)) {
            return Ok(Some(task.clone()));
        }
        if !index.applications.contains_key(&id) {
            return Ok(None);
        }
        let key = body_key(id);
        let Some(object) = self.backend.get(&key).await? else {
            return Ok(None);
        };
        let task = decode(&key, &object.bytes)?;
        index.remember(task.clone());
        Ok(Some(task))
    }

    /// The unfinished tasks.
    pub async fn running(&self) -> Vec<Task> {
        self.index.lock().await.running.values().cloned().collect()
    }

    /// The newest `limit` tasks, optionally of one application.
    pub async fn list(&self, application: Option<&str>, limit: usize) -> Result<Vec<Task>> {
        let ids: Vec<TaskId> = {
            let index = self.index.lock().await;
            index
                .applications
                .iter()
                .rev()
                .filter(|(_, app)| application.is_none_or(|a| a == app.as_str()))
                .map(|(id, _)| *id)
                .take(limit)
                .collect()
        };
        let mut tasks = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(task) = self.get(id).await? {
                tasks.push(task);
            }
        }
        Ok(tasks)
    }

    /// Removes finished tasks that ended before `cutoff`. Only tasks made before the cutoff
    /// can qualify, and the id says when a task was made, so only those bodies are read.
    pub async fn sweep(&self, cutoff: Timestamp) -> Result<usize> {
        let candidates: Vec<(TaskId, String)> = {
            let index = self.index.lock().await;
            index
                .applications
                .iter()
                .take_while(|(id, _)| id.created_at() < cutoff)
                .filter(|(id, _)| !index.running.contains_key(id))
                .map(|(id, application)| (*id, application.clone()))
                .collect()
        };
        let mut removed = 0;
        for (id, application) in candidates {
            let ended = match self.get(id).await? {
                Some(task) => task.ended_at.unwrap_or(task.created_at),
                None => Timestamp::from_millis(0),
            };
            if ended >= cutoff {
                continue;
            }
            let mut index = self.index.lock().await;
            if index.running.contains_key(&id) {
                continue;
            }
            self.backend.delete(&body_key(id)).await?;
            self.backend
                .delete(&application_key(&application, id))
                .await?;
            index.applications.remove(&id);
            index.recent.remove(&id);
            removed += 1;
        }
        Ok(removed)
    }
}

impl Index {
    fn remember(&mut self, task: Task) {
        self.recent.insert(task.id, task);
        while self.recent.len() > RECENT {
            // The oldest id goes first: the newest tasks are the ones people open.
            let Some(oldest) = self.recent.keys().next().copied() else {
                break;
            };
            self.recent.remove(&oldest);
        }
    }
}
