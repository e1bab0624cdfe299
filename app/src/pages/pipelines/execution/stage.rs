//! One stage of a run, as Deck's "Stage details": its status and duration, why it failed, a
//! Manual Judgment's decision, its tasks (step, started, duration, status, message), its
//! context and outputs as JSON, and Restart once it has finished.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::actions::{RestartStage, WindowWait};
use super::job::{JobLogs, OutputProperties};
use crate::components::task_progress::{StatusBadge, duration};
use crate::components::time::When;
use gennaker_core::pipelines::execution::{Execution, ExecutionStatus, StageExecution};
use gennaker_core::pipelines::model::StageType;
use gennaker_core::pipelines::windows::WINDOW_STEP;
use gennaker_core::tasks::model::{JOB_LOGS_OUTPUT, JOB_STATUS_OUTPUT};

fn pretty(map: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(map).unwrap_or_default()
}

/// A Manual Judgment's state: waiting, or who decided.
#[component]
fn JudgmentState(execution: Execution, stage: StageExecution) -> impl IntoView {
    let waiting = execution
        .waiting_judgment()
        .is_some_and(|s| s.ref_id == stage.ref_id);
    if waiting {
        // The page's one "Judge now" is at its top, beside Cancel.
        return view! {
            <p class="judgment-waiting">"Waiting for a decision: “Judge now” at the top of the page decides it."</p>
        }
        .into_any();
    }
    match (stage.judgment_decision(), stage.last_modified) {
        (Some((continued, input)), Some(by)) => view! {
            <p>
                {if continued { "Continued" } else { "Stopped" }} " by " <strong>{by.user}</strong> " "
                <When at=by.last_modified_time />
                {input.map(|i| format!(" (input: {i})"))}
            </p>
        }
        .into_any(),
        _ => ().into_any(),
    }
}

/// What a stage found or acted on, from its outputs: "Acted on web-v002", "Found nginx:1.27
/// on web-v002", ...
fn result_line(stage: &StageExecution) -> Option<String> {
    let text = |key: &str| stage.outputs.get(key).and_then(Value::as_str);
    if let Some(build) = stage.outputs.get("buildInfo") {
        let how = match build["result"].as_str() {
            Some(result) => format!("ended {result}"),
            None => "started".to_string(),
        };
        return Some(format!(
            "Jenkins build #{} of {} {how}",
            build["number"],
            build["name"].as_str().unwrap_or_default()
        ));
    }
    if let Some(job) = stage.outputs.get(JOB_STATUS_OUTPUT) {
        let state = match job["jobState"].as_str() {
            Some("Succeeded") => "succeeded",
            Some("Failed") => "failed",
            _ => "ended",
        };
        return Some(format!(
            "Job {} in {} {state}",
            job["name"].as_str().unwrap_or_default(),
            job["location"].as_str().unwrap_or_default()
        ));
    }
    if let Some(found) = stage
        .outputs
        .get("deploymentDetails")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
    {
        let images: Vec<&str> = found.iter().filter_map(|d| d["imageId"].as_str()).collect();
        let from = found[0]["sourceServerGroup"]
            .as_str()
            .unwrap_or("the cluster");
        return Some(format!("Found {} on {from}", images.join(", ")));
    }
    if let Some(undo) = stage.outputs.get("undoRollout") {
        return Some(format!(
            "Rolled back from revision {} to revision {}",
            undo["fromRevision"], undo["revision"]
        ));
    }
    if let Some(scaled) = stage.outputs.get("scaledDown").and_then(Value::as_array) {
        let names: Vec<&str> = scaled.iter().filter_map(Value::as_str).collect();
        return Some(if names.is_empty() {
            "Nothing to scale down".to_string()
        } else {
            format!("Scaled down {}", names.join(", "))
        });
    }
    if let Some(by_namespace) = stage
        .outputs
        .get("outputs.manifestNamesByNamespace")
        .and_then(Value::as_object)
    {
        let names: Vec<String> = by_namespace
            .iter()
            .flat_map(|(namespace, names)| {
                names
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(move |name| format!("{name} in {namespace}"))
            })
            .collect();
        let verb = if stage.kind == "deployManifest" {
            "Applied"
        } else {
            "Acted on"
        };
        return Some(if names.is_empty() {
            "No object matched".to_string()
        } else {
            format!("{verb} {}", names.join(", "))
        });
    }
    let acted = text("serverGroupName")?;
    Some(
        match stage.outputs.get("capacity").and_then(|c| c.get("desired")) {
            Some(desired) => format!("Acted on {acted}: {desired} replicas"),
            None => format!("Acted on {acted}"),
        },
    )
}

#[component]
pub(super) fn StageDetails(execution: Execution, stage: StageExecution) -> impl IntoView {
    let kind =
        StageType::parse(&stage.kind).map_or_else(|| stage.kind.clone(), |t| t.label().to_string());
    let took = stage.start_time.map(|s| duration(s, stage.end_time));
    let restartable = stage.status.is_complete() && stage.status != ExecutionStatus::Skipped;
    let restarted = stage
        .context
        .get("restartDetails")
        .and_then(|d| d.get("restartedBy"))
        .and_then(Value::as_str)
        .map(|by| format!("Restarted by {by}."));
    let is_judgment = stage.kind == "manualJudgment";
    let ran_job = stage.outputs.contains_key(JOB_LOGS_OUTPUT);
    let build_link = stage
        .outputs
        .get("buildInfo")
        .and_then(|b| b["url"].as_str())
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(str::to_string);
    let in_window = stage.status == ExecutionStatus::Running
        && stage
            .tasks
            .first()
            .is_some_and(|t| t.name == WINDOW_STEP && t.status == ExecutionStatus::Running);
    view! {
        <section class="card stage-details" aria-labelledby="stage-details-title">
            <div class="stage-details-head">
                <h3 id="stage-details-title">{format!("Stage details: {}", stage.name)}</h3>
                {restartable.then(|| view! { <RestartStage id=execution.id stage=stage.clone() /> })}
            </div>
            <p class="stage-details-meta">
                <StatusBadge status=stage.status /> " " {kind}
                {stage.start_time.map(|at| view! { " · started " <When at /> })}
                {took.map(|t| format!(" · {t}"))}
            </p>
            {restarted.map(|text| view! { <p class="hint">{text}</p> })}
            {stage.failure().map(|error| view! { <p class="form-error stage-failure">{error}</p> })}
            {result_line(&stage).map(|line| view! { <p class="stage-result">{line}</p> })}
            {is_judgment.then(|| view! { <JudgmentState execution=execution.clone() stage=stage.clone() /> })}
            {in_window.then(|| view! { <WindowWait id=execution.id stage=stage.clone() /> })}
            {build_link.map(|url| view! { <p><a href=url rel="noopener">"Open the build in Jenkins"</a></p> })}
            <OutputProperties stage=stage.clone() />
            {ran_job.then(|| view! { <JobLogs stage=stage.clone() /> })}
            <h4>"Tasks"</h4>
            {if stage.tasks.is_empty() {
                view! { <p class="hint">"No task has started yet."</p> }.into_any()
            } else {
                view! {
                    <table class="tasks-table stacked">
                        <thead>
                            <tr>
                                <th scope="col">"Step"</th>
                                <th scope="col">"Started"</th>
                                <th scope="col">"Duration"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {stage.tasks.iter().map(|task| {
                                let took = task.start_time.map(|s| duration(s, task.end_time)).unwrap_or_default();
                                view! {
                                    <tr>
                                        <td>
                                            {task.name.clone()}
                                            {task.message.clone().map(|m| view! { <span class="task-message">{m}</span> })}
                                        </td>
                                        <td data-label="Started">{task.start_time.map(|at| view! { <When at /> })}</td>
                                        <td data-label="Duration">{took}</td>
                                        <td data-label="Status"><StatusBadge status=task.status /></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            <details class="more-options">
                <summary>"Context"</summary>
                <pre class="json">{pretty(&stage.context)}</pre>
            </details>
            <details class="more-options">
                <summary>{format!("Outputs ({})", stage.outputs.len())}</summary>
                <pre class="json">{pretty(&stage.outputs)}</pre>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_outputs(outputs: Value) -> StageExecution {
        let mut stage: StageExecution = serde_json::from_value(json!({
            "id": "s1", "refId": "1", "type": "resizeServerGroup", "name": "Resize",
            "status": "SUCCEEDED", "context": {}, "outputs": {}, "tasks": [], "requisiteStageRefIds": []
        }))
        .expect("a stage");
        stage.outputs = outputs.as_object().cloned().unwrap_or_default();
        stage
    }

    #[test]
    fn a_stage_says_what_it_acted_on_or_found() {
        let resized =
            with_outputs(json!({"serverGroupName": "web-v002", "capacity": {"desired": 3}}));
        assert_eq!(
            result_line(&resized).as_deref(),
            Some("Acted on web-v002: 3 replicas")
        );
        let found = with_outputs(
            json!({"deploymentDetails": [{"imageId": "nginx:1.27", "sourceServerGroup": "web-v002"}]}),
        );
        assert_eq!(
            result_line(&found).as_deref(),
            Some("Found nginx:1.27 on web-v002")
        );
        let undone = with_outputs(json!({"undoRollout": {"revision": 1, "fromRevision": 2}}));
        assert_eq!(
            result_line(&undone).as_deref(),
            Some("Rolled back from revision 2 to revision 1")
        );
        assert_eq!(
            result_line(&with_outputs(json!({"scaledDown": []}))).as_deref(),
            Some("Nothing to scale down")
        );
        let job = with_outputs(
            json!({"jobStatus": {"name": "report-x2b4z", "location": "ci", "jobState": "Failed"}}),
        );
        assert_eq!(
            result_line(&job).as_deref(),
            Some("Job report-x2b4z in ci failed")
        );
        let build = with_outputs(
            json!({"buildInfo": {"name": "build-web", "number": 7, "result": "UNSTABLE"}}),
        );
        assert_eq!(
            result_line(&build).as_deref(),
            Some("Jenkins build #7 of build-web ended UNSTABLE")
        );
        assert_eq!(result_line(&with_outputs(json!({}))), None);
    }
}
