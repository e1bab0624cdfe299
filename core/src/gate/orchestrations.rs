//! Orca's tasks ("orchestrations") as Gate answers them. `POST /tasks` carries jobs
//! (`{"job": [{"type": "createApplication", "application": {...}}], "application",
//! "description"}`) and is answered `{"ref": "/tasks/<id>"}`; `GET /tasks/{id}` answers the task
//! with Orca's status, which is what `spin` waits for. Gennaker runs these jobs at once, so a
//! task is stored already ended: `SUCCEEDED`, or `TERMINAL` with the reason on its step.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::ids::OrchestrationId;
use crate::pipelines::execution::ExecutionStatus;

/// The most jobs one task may carry.
pub const MAX_JOBS: usize = 20;

/// One job of a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    CreateApplication(Map<String, Value>),
    UpdateApplication(Map<String, Value>),
    DeleteApplication(String),
}

impl Job {
    /// The job's type, as Orca names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::CreateApplication(_) => "createApplication",
            Job::UpdateApplication(_) => "updateApplication",
            Job::DeleteApplication(_) => "deleteApplication",
        }
    }
}

/// A `POST /tasks` body, read.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    pub application: String,
    pub description: String,
    pub jobs: Vec<Job>,
}

/// Reads a `POST /tasks` body; what Gennaker does not run through `/tasks` is refused naming
/// what it does run.
pub fn read(body: &Value) -> Result<TaskRequest, FieldError> {
    let jobs = body
        .get("job")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldError::new("job", "A task needs a list of jobs: {\"job\": [{\"type\": \"createApplication\", \"application\": {...}}]}"))?;
    if jobs.is_empty() || jobs.len() > MAX_JOBS {
        return Err(FieldError::new(
            "job",
            format!("A task takes 1 to {MAX_JOBS} jobs (it has {}).", jobs.len()),
        ));
    }
    let mut read = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        let field = format!("job[{index}]");
        let kind = job.get("type").and_then(Value::as_str).unwrap_or_default();
        let application = job.get("application").and_then(Value::as_object);
        let attributes = || {
            application.cloned().ok_or_else(|| {
                FieldError::new(
                    &format!("{field}.application"),
                    format!("A {kind} job needs its application's attributes as an object."),
                )
            })
        };
        read.push(match kind {
            "createApplication" => Job::CreateApplication(attributes()?),
            "updateApplication" | "upsertApplication" => Job::UpdateApplication(attributes()?),
            "deleteApplication" => {
                let name = attributes()?
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| n.trim().to_ascii_lowercase())
                    .unwrap_or_default();
                if name.is_empty() {
                    return Err(FieldError::new(
                        &format!("{field}.application.name"),
                        "A deleteApplication job names the application to delete.",
                    ));
                }
                Job::DeleteApplication(name)
            }
            other => {
                return Err(FieldError::new(
                    &format!("{field}.type"),
                    format!(
                        "Job type {other:?} is not one Gennaker runs through /tasks: it runs createApplication, updateApplication and deleteApplication; pipelines run through /pipelines."
                    ),
                ));
            }
        });
    }
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(TaskRequest {
        application: text("application").to_ascii_lowercase(),
        description: text("description"),
        jobs: read,
    })
}

/// A task, as stored and as `GET /tasks/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Orchestration {
    pub id: OrchestrationId,
    /// The request's description ("Create Application: web").
    pub name: String,
    pub application: String,
    /// `SUCCEEDED`, or `TERMINAL` when a job failed.
    pub status: ExecutionStatus,
    /// Milliseconds since 1970, as Orca writes them.
    pub start_time: i64,
    pub end_time: i64,
    /// Who asked.
    pub user: String,
    /// One step per job, in order; the jobs after a failed one do not run.
    pub steps: Vec<OrchestrationStep>,
}

/// One job's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrchestrationStep {
    /// The job's type.
    pub name: String,
    pub status: ExecutionStatus,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Orchestration {
    /// The task's status from its steps: `TERMINAL` if one failed.
    pub fn status_of(steps: &[OrchestrationStep]) -> ExecutionStatus {
        if steps.iter().any(|s| s.status == ExecutionStatus::Terminal) {
            ExecutionStatus::Terminal
        } else {
            ExecutionStatus::Succeeded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spins_jobs_are_read() {
        let request = read(&json!({
            "job": [{"type": "createApplication", "application": {"name": "web", "email": "a@example.com"}}],
            "application": "web", "description": "Create Application: web",
        }))
        .expect("read");
        assert_eq!(request.application, "web");
        assert_eq!(request.jobs[0].kind(), "createApplication");
        let delete =
            read(&json!({"job": [{"type": "deleteApplication", "application": {"name": "Web"}}]}))
                .expect("read");
        assert_eq!(delete.jobs, [Job::DeleteApplication("web".into())]);
    }

    #[test]
    fn other_jobs_are_refused_naming_what_runs() {
        let refused = read(&json!({"job": [{"type": "deployManifest"}]})).expect_err("refused");
        assert_eq!(refused.field, "job[0].type");
        assert!(
            refused.message.contains("createApplication"),
            "{}",
            refused.message
        );
        assert!(read(&json!({"job": []})).is_err());
        assert!(read(&json!({})).is_err());
        let nameless = read(&json!({"job": [{"type": "deleteApplication", "application": {}}]}))
            .expect_err("refused");
        assert_eq!(nameless.field, "job[0].application.name");
    }
}
