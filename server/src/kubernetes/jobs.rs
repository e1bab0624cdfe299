//! The Jobs view: an application's Jobs with their outcome and Pods, from the cache.

use gennaker_core::infrastructure::jobs::{JobState, JobView};
use gennaker_core::time::Timestamp;
use k8s_openapi::api::batch::v1::Job;
use kube::ResourceExt;

use super::Kubernetes;
use super::cache::Cache;
use super::moniker::application_of;
use super::views::{instance, pods_owned_by, time};

/// Where a Job stands: its Complete / Failed conditions, else suspended or running.
pub fn job_state(job: &Job) -> JobState {
    let conditions = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten();
    for condition in conditions.filter(|c| c.status == "True") {
        match condition.type_.as_str() {
            "Complete" => return JobState::Complete,
            "Failed" => {
                return JobState::Failed(
                    condition
                        .message
                        .clone()
                        .or_else(|| condition.reason.clone())
                        .unwrap_or_else(|| "the Job failed".to_string()),
                );
            }
            _ => {}
        }
    }
    if job.spec.as_ref().and_then(|s| s.suspend) == Some(true) {
        JobState::Suspended
    } else {
        JobState::Running
    }
}

fn job_view(account: &str, cache: &Cache, job: &Job) -> JobView {
    let spec = job.spec.as_ref();
    let status = job.status.clone().unwrap_or_default();
    let mut instances: Vec<_> = pods_owned_by(cache, &job.metadata)
        .iter()
        .map(|pod| instance(pod, false))
        .collect();
    instances.sort_by(|a, b| (&a.created_at, &a.name).cmp(&(&b.created_at, &b.name)));
    JobView {
        account: account.to_string(),
        namespace: job.namespace().unwrap_or_default(),
        name: job.name_any(),
        images: spec
            .and_then(|s| s.template.spec.as_ref())
            .map(|p| {
                p.containers
                    .iter()
                    .filter_map(|c| c.image.clone())
                    .collect()
            })
            .unwrap_or_default(),
        state: job_state(job),
        completions: spec.and_then(|s| s.completions).unwrap_or(1),
        succeeded: status.succeeded.unwrap_or(0),
        failed: status.failed.unwrap_or(0),
        active: status.active.unwrap_or(0),
        started_at: time(status.start_time.as_ref()),
        completed_at: time(status.completion_time.as_ref()),
        instances,
    }
}

impl Kubernetes {
    /// The application's Jobs in every account, newest first.
    pub fn jobs(&self, application: &str) -> Vec<JobView> {
        let mut jobs: Vec<(Option<Timestamp>, JobView)> = self
            .connected()
            .flat_map(|(account, connection)| {
                let cache = &connection.cache;
                cache
                    .jobs
                    .all()
                    .into_iter()
                    .filter(|job| application_of(&job.metadata).as_deref() == Some(application))
                    .map(|job| {
                        let created = time(job.metadata.creation_timestamp.as_ref());
                        (created, job_view(account, cache, &job))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        jobs.sort_by(|(a, x), (b, y)| (b, &x.name).cmp(&(a, &y.name)));
        jobs.into_iter().map(|(_, job)| job).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::{JobCondition, JobSpec, JobStatus};

    fn job(conditions: &[(&str, &str)], suspend: bool) -> Job {
        Job {
            spec: Some(JobSpec {
                suspend: suspend.then_some(true),
                ..JobSpec::default()
            }),
            status: Some(JobStatus {
                conditions: Some(
                    conditions
                        .iter()
                        .map(|(type_, status)| JobCondition {
                            type_: (*type_).into(),
                            status: (*status).into(),
                            message: Some("Job has reached the specified backoff limit".into()),
                            ..JobCondition::default()
                        })
                        .collect(),
                ),
                ..JobStatus::default()
            }),
            ..Job::default()
        }
    }

    #[test]
    fn a_job_is_complete_or_failed_by_its_true_condition() {
        assert_eq!(
            job_state(&job(
                &[("SuccessCriteriaMet", "True"), ("Complete", "True")],
                false
            )),
            JobState::Complete
        );
        assert_eq!(
            job_state(&job(
                &[("FailureTarget", "True"), ("Failed", "True")],
                false
            )),
            JobState::Failed("Job has reached the specified backoff limit".into())
        );
    }

    #[test]
    fn a_job_without_a_final_condition_runs_unless_suspended() {
        assert_eq!(
            job_state(&job(&[("Complete", "False")], false)),
            JobState::Running
        );
        assert_eq!(job_state(&job(&[], true)), JobState::Suspended);
    }
}
