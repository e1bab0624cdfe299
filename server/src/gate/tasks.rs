//! Gate's tasks: `POST /tasks` runs the application jobs `spin application save/delete` send
//! and stores the outcome as an [`Orchestration`]; `GET /tasks/{id}` answers it with Orca's
//! status, which `spin` waits on. A refusal for want of permission is the request's answer
//! (403), not a task; any other failure is a `TERMINAL` task whose step says why, as Orca's
//! would be. They are stored in [`super::store`].

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use gennaker_app::error::AppError;
use gennaker_app::services::Services;
use gennaker_core::gate::applications::spec;
use gennaker_core::gate::orchestrations::{self, Job, Orchestration, OrchestrationStep};
use gennaker_core::ids::OrchestrationId;
use gennaker_core::pipelines::execution::ExecutionStatus;
use gennaker_core::time::Timestamp;
use serde_json::{Value, json};

use crate::api::{Acting, ApiError, Serve};
use crate::state::AppState;
use crate::store::Backend;

use super::store::{keep, kept};

pub fn routes() -> crate::api::Routes {
    crate::api::Routes::default()
        .post("/tasks", submit)
        .get("/tasks/{id}", read)
}

/// Runs one job as `who`; `Err` is why it failed. The attributes Gennaker does not use are
/// kept in `backend` once the application's change is made.
async fn run(services: &Services, backend: &Backend, job: &Job, who: &str) -> Result<(), AppError> {
    let invalid = |e| AppError::Invalid(vec![e]);
    let unstored = |e: crate::store::StoreError| {
        AppError::Unavailable(format!(
            "The application was saved, but its other Spinnaker attributes could not be kept: {e}"
        ))
    };
    match job {
        // `spin application save` sends createApplication for a new application and for one
        // that exists, as Orca takes it: the attributes it names are laid over the stored ones.
        Job::CreateApplication(attributes) | Job::UpdateApplication(attributes) => {
            let given = spec(attributes, None).map_err(invalid)?;
            let name = given.spec.name.clone();
            match services.applications.get(&name).await {
                Ok(stored) => {
                    let before = kept(backend, &name).await;
                    let changed =
                        spec(attributes, Some((&stored.spec, &before))).map_err(invalid)?;
                    services
                        .applications
                        .update(&name, stored.version, changed.spec, who)
                        .await?;
                    keep(backend, &name, &changed.kept)
                        .await
                        .map_err(unstored)?;
                }
                Err(AppError::NotFound(_)) if matches!(job, Job::CreateApplication(_)) => {
                    services.applications.create(given.spec, who).await?;
                    keep(backend, &name, &given.kept).await.map_err(unstored)?;
                }
                Err(error) => return Err(error),
            }
        }
        Job::DeleteApplication(name) => {
            let stored = services.applications.get(name).await?;
            services
                .applications
                .delete(name, stored.version, name, who)
                .await?;
            keep(backend, name, &serde_json::Map::new())
                .await
                .map_err(unstored)?;
        }
    }
    Ok(())
}

/// `POST /tasks`.
async fn submit(
    State(state): State<AppState>,
    Serve(services): Serve,
    who: Acting,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = crate::api::json(body)?;
    let request = orchestrations::read(&body).map_err(|e| AppError::Invalid(vec![e]))?;
    let started = Timestamp::now();
    let mut steps = Vec::new();
    let mut failed = false;
    for job in &request.jobs {
        if failed {
            steps.push(OrchestrationStep {
                name: job.kind().into(),
                status: ExecutionStatus::NotStarted,
                message: None,
            });
            continue;
        }
        match run(&services, &state.store, job, &who.0.name).await {
            Ok(()) => steps.push(OrchestrationStep {
                name: job.kind().into(),
                status: ExecutionStatus::Succeeded,
                message: None,
            }),
            Err(error @ (AppError::Forbidden(_) | AppError::SignedOut(_))) => {
                return Err(error.into());
            }
            Err(error) => {
                tracing::info!(job = job.kind(), "Gate task failed: {error}");
                failed = true;
                steps.push(OrchestrationStep {
                    name: job.kind().into(),
                    status: ExecutionStatus::Terminal,
                    message: Some(error.to_string()),
                });
            }
        }
    }
    let task = Orchestration {
        id: OrchestrationId::new(),
        name: request.description,
        application: if request.application.is_empty() {
            "-".into()
        } else {
            request.application
        },
        status: Orchestration::status_of(&steps),
        start_time: started.as_millis(),
        end_time: Timestamp::now().as_millis(),
        user: who.0.name.clone(),
        steps,
    };
    let task = state
        .orchestrations
        .records
        .insert(task)
        .await
        .map_err(|e| AppError::Unavailable(format!("The task ran but could not be stored: {e}")))?;
    Ok(Json(json!({ "ref": format!("/tasks/{}", task.id) })))
}

/// `GET /tasks/{id}`: readable by who made it, and by whoever may read its application.
async fn read(
    State(state): State<AppState>,
    Serve(services): Serve,
    who: Acting,
    Path(id): Path<String>,
) -> Result<Json<Orchestration>, ApiError> {
    let missing = || AppError::NotFound(format!("There is no task {id:?}."));
    let parsed = OrchestrationId::parse(&id).map_err(|_| missing())?;
    let task = state
        .orchestrations
        .records
        .get(parsed)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .ok_or_else(missing)?;
    if task.user != who.0.name {
        match services.applications.get(&task.application).await {
            Ok(_) => {}
            // Its application is gone: only who made the task sees it.
            Err(AppError::NotFound(_)) => return Err(missing().into()),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Json(task))
}
