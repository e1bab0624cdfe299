//! Tasks: the server functions that start, list, follow and cancel them. Refusals (bad input,
//! an unknown task) travel inside `Ok` as [`Handled`], like the applications' functions.

pub use gennaker_core::tasks::{model, policy, view};

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::error::Handled;
use gennaker_core::ids::TaskId;
use model::Operation;
use view::TaskView;

/// Checks and starts an operation; the answer is the new task.
#[server(input = Json)]
pub async fn submit_operation(operation: Operation) -> Result<Handled<TaskView>, AppError> {
    let who = crate::services::acting_user(&crate::services::request_parts());
    Ok(crate::services::services()?
        .tasks
        .submit(operation, &who)
        .await
        .map(TaskView::from))
}

/// How many tasks a list shows: the newest.
pub const LIST_LIMIT: usize = 100;

/// The newest tasks; of one application when `application` is given.
#[server]
pub async fn list_tasks(application: Option<String>) -> Result<Vec<TaskView>, AppError> {
    let tasks = crate::services::services()?
        .tasks
        .list(application.as_deref(), LIST_LIMIT)
        .await?;
    Ok(tasks.iter().map(TaskView::from).collect())
}

#[server]
pub async fn get_task(id: TaskId) -> Result<Handled<TaskView>, AppError> {
    Ok(crate::services::services()?
        .tasks
        .get(id)
        .await
        .map(TaskView::from))
}

#[server]
pub async fn cancel_task(id: TaskId) -> Result<Handled<TaskView>, AppError> {
    Ok(crate::services::services()?
        .tasks
        .cancel(id)
        .await
        .map(TaskView::from))
}
