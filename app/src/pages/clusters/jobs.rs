//! The application's Jobs under its clusters: each Job's outcome, counts and Pods, and Delete.

use leptos::prelude::*;

use super::Open;
use crate::components::feedback::ErrorPanel;
use crate::components::instances::Instances;
use crate::components::operation::Confirm;
use crate::components::time::When;
use crate::infrastructure::application_jobs;
use crate::pages::application::ApplicationContext;
use gennaker_core::infrastructure::jobs::{JobState, JobView};
use gennaker_core::tasks::model::{ManifestRef, Operation};

/// The application's Jobs, newest first, when it has any: outcome, Pods, and Delete.
#[component]
pub(super) fn JobsSection(open: RwSignal<Option<Open>>) -> impl IntoView {
    let context = expect_context::<ApplicationContext>();
    let live = context.live;
    let jobs = Resource::new(
        move || (context.name.get(), live.cluster.get()),
        |(name, _)| application_jobs(name),
    );
    view! {
        <Transition fallback=|| ()>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>
                {move || Suspend::new(async move {
                    jobs.await.map(|list| {
                        (!list.is_empty()).then(|| view! {
                            <section class="jobs" aria-labelledby="jobs-title">
                                <h2 id="jobs-title" class="cluster-name">"Jobs"</h2>
                                <ul class="server-groups" aria-label="Jobs">
                                    {list.into_iter().map(|job| view! { <JobRow job application=context.name open /> }).collect_view()}
                                </ul>
                            </section>
                        })
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn JobRow(job: JobView, application: Memo<String>, open: RwSignal<Option<Open>>) -> impl IntoView {
    let counts = format!("{}/{} succeeded", job.succeeded, job.completions);
    let extra = [
        (job.active > 0).then(|| format!("{} running", job.active)),
        (job.failed > 0).then(|| format!("{} failed", job.failed)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let reason = match &job.state {
        JobState::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    let remove = {
        let job = job.clone();
        move |_| {
            open.set(Some(Open::Confirm(Box::new(Confirm {
                title: format!("Delete {}", job.name),
                message: format!(
                    "Delete Job {}? Its {} Pods and their logs are deleted with it.",
                    job.name,
                    job.instances.len()
                ),
                label: "Delete",
                danger: true,
                operation: Operation::DeleteManifest {
                    application: application.get_untracked(),
                    target: ManifestRef {
                        account: job.account.clone(),
                        namespace: job.namespace.clone(),
                        kind: "Job".into(),
                        name: job.name.clone(),
                    },
                },
            }))));
        }
    };
    view! {
        <li class="job card" aria-label=format!("Job {}", job.name)>
            <span class="server-group-head">
                <span class="server-group-name">{job.name.clone()}</span>
                <span class=format!("status-badge {}", job.state.class())>{job.state.label()}</span>
                <span class="cluster-place">{format!("{} · {}", job.account, job.namespace)}</span>
            </span>
            <span class="server-group-meta">
                <span class="server-group-image">{job.images.join(", ")}</span>
                <span class="server-group-count">{counts}</span>
                {(!extra.is_empty()).then(|| view! { <span>{extra.clone()}</span> })}
                {job.started_at.map(|at| view! { <span>"started " <When at /></span> })}
                {job.completed_at.map(|at| view! { <span>"completed " <When at /></span> })}
            </span>
            {reason.map(|r| view! { <p class="form-error">{r}</p> })}
            <div class="job-footer">
                <Instances owner=job.name.clone() instances=job.instances.clone() />
                <button type="button" class="button small danger" aria-label=format!("Delete Job {}", job.name) on:click=remove>"Delete"</button>
            </div>
        </li>
    }
}
