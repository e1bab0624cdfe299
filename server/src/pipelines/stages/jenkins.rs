//! Jenkins: starts a job (with an idempotency key), waits for it to leave the queue and, with
//! `waitForCompletion`, for the build to finish, reading its property file.

use gennaker_core::pipelines::stages::JenkinsBuild;
use gennaker_core::tasks::model::{Step, StepAction};

use super::jobs::JOB_TIMEOUT;
use super::{PlanError, Planning};

/// Start, wait for the queue, and wait for the build when asked.
pub fn plan(p: &Planning, build: JenkinsBuild) -> Result<Vec<Step>, PlanError> {
    let Planning { jenkins, .. } = *p;
    jenkins.check(&build.master).map_err(|e| e.to_string())?;
    let (master, job) = (build.master, build.job);
    let mut steps = vec![
        Step::new(
            format!("Start Jenkins job {job} on {master}"),
            StepAction::StartJenkinsJob {
                master: master.clone(),
                job: job.clone(),
                parameters: build.parameters,
            },
        ),
        Step::new(
            "Wait for the build to leave the queue",
            StepAction::WaitForJenkinsQueue {
                master: master.clone(),
                job: job.clone(),
            },
        ),
    ];
    if build.wait_for_completion {
        let wait = Step::new(
            format!("Wait for the build of {job} to finish"),
            StepAction::WaitForJenkinsBuild {
                master,
                job: job.clone(),
                property_file: build.property_file,
            },
        );
        steps.push(if p.own_timeout {
            wait
        } else {
            wait.with_timeout(JOB_TIMEOUT)
        });
        steps.push(Step::new(
            "Check the build's result",
            StepAction::CheckJenkinsBuild {
                job,
                unstable_is_success: build.unstable_is_success,
            },
        ));
    }
    Ok(steps)
}
