//! The stages that run a Kubernetes Job, through the JSON API against the local cluster (kwok
//! runs the Pods and serves one fixed log for every container, `end2end/cluster/container.log`,
//! and fails a container with the exit code a Pod's annotations ask for): Run Job (Manifest)
//! with its output properties feeding later stages, Script, a failing Job, missing properties,
//! deleting the Job, and the editor's checks on save.

mod support;

use k8s_openapi::api::batch::v1::Job;
use kube::Api;
use kube::ResourceExt;
use serde_json::{Value, json};
use support::cluster::{
    call, create_application, eventually, in_scratch_namespace, kubernetes_config, test_cluster,
    unique,
};
use support::pipelines::{create_pipeline, finished, stage, stage_error, start_execution, summary};

/// kwok's chaos stage fails a Pod's containers when its Pod template carries this label.
const FAIL_LABEL: &str = "pod-container-running-failed.stage.kwok.x-k8s.io";

/// A Job manifest running `container` in `namespace`, its Pod template labelled and annotated.
fn job(namespace: &str, container: &str, labels: Value, annotations: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"generateName": "report-", "namespace": namespace},
        "spec": {"backoffLimit": 0, "template": {
            "metadata": {"labels": labels, "annotations": annotations},
            "spec": {"restartPolicy": "Never",
                "containers": [{"name": container, "image": "busybox:1.36", "command": ["sh", "-c", "./report"]}]}}}})
}

fn run_job(ref_id: &str, name: &str, manifest: Value, extra: Value) -> Value {
    let mut stage = json!({"refId": ref_id, "requisiteStageRefIds": [], "type": "runJobManifest",
        "name": name, "cloudProvider": "kubernetes", "source": "text", "account": "local",
        "credentials": "local", "manifest": manifest});
    if let (Some(target), Some(extra)) = (stage.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    stage
}

/// Waits until Job `name` is gone (deletion of a Job and its Pods takes a moment).
async fn gone(jobs: &Api<Job>, name: &str) {
    for _ in 0..60 {
        match jobs.get_opt(name).await {
            Ok(None) => return,
            Ok(Some(_)) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            Err(error) => panic!("cannot read Job {name}: {error}"),
        }
    }
    panic!("Job {name} was not deleted within 30 s");
}

#[tokio::test]
async fn run_job_and_script_hand_their_output_properties_to_later_stages() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("jobs");
        create_application(addr, &app).await;
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Report", "stages": [
            run_job("1", "Report", job(&namespace, "report", json!({}), json!({})), json!({"propertyFile": "report"})),
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "script", "name": "Script",
             "account": "local", "namespace": namespace, "image": "alpine:3.20",
             "command": "echo build ${#stage('Report')['outputs']['build_number']}", "deleteJob": true},
            {"refId": "3", "requisiteStageRefIds": ["2"], "type": "evaluateVariables", "name": "Use",
             "variables": [{"key": "tag", "value": "${#stage('Report')['outputs']['image_tag']}"},
                           {"key": "checks", "value": "${#stage('Script')['outputs']['checks']}"}]}
        ]})).await;
        let done = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));

        // Run Job: Spinnaker's outputs, the properties from the container's log, the log kept.
        let report = &stage(&done, "Report")["outputs"];
        assert_eq!(report["build_number"], "42");
        assert_eq!((report["checks"].as_i64(), report["passed"].as_bool()), (Some(12), Some(true)));
        assert_eq!(report["propertyFileContents"]["image_tag"], "v1.2.3");
        let job_name = report["jobStatus"]["name"].as_str().unwrap_or_default().to_string();
        assert!(job_name.starts_with("report-"), "{report:#}");
        assert_eq!(report["jobStatus"]["jobState"], "Succeeded");
        assert_eq!(report["deploy.jobs"][namespace.as_str()], json!([format!("job {job_name}")]));
        let log = &report["jobLogs"][0];
        assert_eq!(log["container"], "report");
        assert!(log["log"].as_str().is_some_and(|l| l.contains("Starting the report")), "{log:#}");

        // The Job stays (deleteJob was not set), with the application it belongs to.
        let jobs: Api<Job> = Api::namespaced(client.clone(), &namespace);
        let kept = jobs.get(&job_name).await.expect("the Run Job's Job is kept");
        assert_eq!(kept.annotations().get("moniker.spinnaker.io/application"), Some(&app));

        // Script: its command saw the earlier stage's property; its Job is deleted.
        let script = stage(&done, "Script");
        assert_eq!(script["context"]["command"], "echo build 42");
        let script_job = script["outputs"]["jobStatus"]["name"].as_str().unwrap_or_default().to_string();
        assert!(script_job.starts_with(&format!("{app}-script-")), "{script:#}");
        assert_eq!(script["outputs"]["build_number"], "42", "a Script's log gives properties too");
        gone(&jobs, &script_job).await;

        let used = &stage(&done, "Use")["outputs"];
        assert_eq!((used["tag"].as_str(), used["checks"].as_i64()), (Some("v1.2.3"), Some(12)));

        // The Jobs view of the application lists the kept Job.
        let path = format!("/api/v1/applications/{app}/jobs");
        eventually(addr, &path, "the kept Job listed", |listed| {
            listed.as_array().is_some_and(|l| l.iter().any(|j| j["name"] == job_name.as_str()))
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_failed_job_fails_its_stage_with_the_reason_and_keeps_its_log() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("jobfail");
        create_application(addr, &app).await;
        let failing = job(&namespace, "report", json!({FAIL_LABEL: "true"}), json!({
            format!("{FAIL_LABEL}/exit-code"): "3", format!("{FAIL_LABEL}/message"): "2 tests failed"}));
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Fails",
            "stages": [run_job("1", "Tests", failing, json!({"deleteJob": true}))]})).await;
        let failed = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL", "{}", summary(&failed));
        let error = stage_error(&failed, "Tests");
        assert!(error.contains("backoff limit") && error.contains("container report exited with code 3: 2 tests failed"), "{error}");
        let outputs = &stage(&failed, "Tests")["outputs"];
        assert_eq!(outputs["jobStatus"]["jobState"], "Failed");
        assert_eq!(outputs["completionDetails"]["exitCode"], 3);
        assert!(outputs["jobLogs"][0]["log"].as_str().is_some_and(|l| l.contains("Report done")), "{outputs:#}");

        // Asked for properties from a container whose log has none: the stage says how to fix it.
        let quiet = job(&namespace, "main", json!({}), json!({}));
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "No properties",
            "stages": [run_job("1", "Quiet", quiet, json!({"propertyFile": "sidecar"}))]})).await;
        let failed = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL", "{}", summary(&failed));
        let error = stage_error(&failed, "Quiet");
        assert!(error.contains("container sidecar's log has no output properties"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn job_stages_with_bad_settings_are_refused_on_save() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&kubeconfig))
        .start()
        .await;
    let addr = server.addr;
    let app = unique("jobbad");
    create_application(addr, &app).await;
    let deployment =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
    let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(json!({
        "application": app, "name": "Bad", "stages": [
            run_job("1", "Not a job", deployment, json!({"account": "nowhere", "credentials": ""})),
            {"refId": "2", "requisiteStageRefIds": [], "type": "script", "name": "Script", "account": "local", "command": "true"}
        ]}))).await;
    assert_eq!(status, 400, "{body:#}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for field in ["stages[0].manifest", "stages[0].account", "stages[1].image"] {
        assert!(fields.contains(&field), "{field} in {body:#}");
    }
}
