//! Tasks in the store, one object per task (`tasks/<id>.json`), with an in-memory index
//! loaded at start. The engine is the only writer of a task, and writes go through one lock,
//! so the index and the store never disagree.

use std::collections::BTreeMap;
use std::sync::Arc;

use gennaker_app::ids::TaskId;
use gennaker_app::tasks::model::Task;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::store::{Backend, Precondition, Result, StoreError};

/// The stored form: a schema number so later releases can migrate.
#[derive(Serialize, Deserialize)]
struct Envelope {
    schema: u32,
    task: Task,
}

const SCHEMA: u32 = 1;
const PREFIX: &str = "tasks/";

pub struct TaskStore {
    backend: Arc<Backend>,
    tasks: Mutex<BTreeMap<TaskId, Task>>,
}

impl TaskStore {
    /// Reads every stored task.
    pub async fn open(backend: Arc<Backend>) -> Result<TaskStore> {
        let mut tasks = BTreeMap::new();
        for key in backend.list(PREFIX).await? {
            let Some(object) = backend.get(&key).await? else {
                continue;
            };
            let envelope: Envelope =
                serde_json::from_slice(&object.bytes).map_err(|e| StoreError::Corrupt {
                    key: key.clone(),
                    message: e.to_string(),
                })?;
            if envelope.schema > SCHEMA {
                return Err(StoreError::Corrupt {
                    key,
                    message: format!("written by a newer Gennaker (schema {})", envelope.schema),
                });
            }
            tasks.insert(envelope.task.id, envelope.task);
        }
        Ok(TaskStore {
            backend,
            tasks: Mutex::new(tasks),
        })
    }

    fn key(id: TaskId) -> String {
        format!("{PREFIX}{id}.json")
    }

    async fn write(&self, task: &Task) -> Result<()> {
        let key = Self::key(task.id);
        let bytes = serde_json::to_vec_pretty(&Envelope {
            schema: SCHEMA,
            task: task.clone(),
        })
        .map_err(|e| StoreError::Corrupt {
            key: key.clone(),
            message: e.to_string(),
        })?;
        self.backend.put(&key, bytes, Precondition::None).await?;
        Ok(())
    }

    /// Stores a new task.
    pub async fn insert(&self, task: Task) -> Result<Task> {
        let mut tasks = self.tasks.lock().await;
        self.write(&task).await?;
        tasks.insert(task.id, task.clone());
        Ok(task)
    }

    /// Changes a task with `change` and stores it; the index changes only once the store has it.
    pub async fn update(&self, id: TaskId, change: impl FnOnce(&mut Task)) -> Result<Task> {
        let mut tasks = self.tasks.lock().await;
        let mut task = tasks
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                kind: "task",
                id: id.to_string(),
            })?;
        change(&mut task);
        self.write(&task).await?;
        tasks.insert(id, task.clone());
        Ok(task)
    }

    pub async fn get(&self, id: TaskId) -> Option<Task> {
        self.tasks.lock().await.get(&id).cloned()
    }

    /// Tasks, newest first, optionally of one application.
    pub async fn list(&self, application: Option<&str>) -> Vec<Task> {
        let tasks = self.tasks.lock().await;
        tasks
            .values()
            .rev()
            .filter(|t| application.is_none_or(|a| t.application == a))
            .cloned()
            .collect()
    }
}
