//! Pipelines through the JSON API against the local cluster: a fork and a join with a Wait, a
//! Manual Judgment, variables and a Highlander deploy; Red/Black with a rollback; the four
//! failure choices; cancel, pause, resume and restart; a webhook waited on; a child pipeline;
//! queueing; expressions; Spinnaker JSON round trips; and bad input refused by path.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use support::cluster::{
    application_with_load_balancer, call, create_application, eventually, in_scratch_namespace,
    kubernetes_config, test_cluster, unique,
};
use support::pipelines::{
    create_pipeline, execution, finished, judge, names, server_groups, stage, stage_error,
    stage_status, start_execution, summary, wait_execution,
};

fn deploy_stage(
    ref_id: &str,
    requisites: &[&str],
    app: &str,
    namespace: &str,
    extra: Value,
) -> Value {
    let mut cluster = json!({
        "account": "local", "application": app, "cloudProvider": "kubernetes",
        "namespace": namespace, "region": namespace, "stack": "web", "freeFormDetails": "",
        "targetSize": 2, "strategy": "highlander",
        "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"},
            "envVars": [{"name": "GREETING", "value": "${parameters.greeting}"}]}]
    });
    if let (Some(target), Some(extra)) = (cluster.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    json!({"refId": ref_id, "requisiteStageRefIds": requisites, "type": "deploy", "name": "Deploy",
           "clusters": [cluster]})
}

#[tokio::test]
async fn a_fork_and_a_join_with_a_judgment_and_a_highlander_deploy() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("pipe");
        create_application(addr, &app).await;
        let pipeline = create_pipeline(addr, json!({
            "application": app, "name": "Ship it",
            "parameterConfig": [{"name": "greeting", "required": true, "hasOptions": true,
                "options": [{"value": "hello"}, {"value": "hi"}]}],
            "stages": [
                support::pipelines::wait_stage("1", "Wait", 1, &[]),
                {"refId": "2", "requisiteStageRefIds": ["1"], "type": "manualJudgment", "name": "Approve",
                 "instructions": "Ship ${parameters.greeting}?", "judgmentInputs": [{"value": "ship"}, {"value": "hold"}]},
                {"refId": "3", "requisiteStageRefIds": ["1"], "type": "evaluateVariables", "name": "Variables",
                 "variables": [{"key": "replicas", "value": "${1 + 1}"}, {"key": "label", "value": "v-${parameters.greeting}"}]},
                deploy_stage("4", &["2", "3"], &app, &namespace, json!({})),
                {"refId": "5", "requisiteStageRefIds": ["4"], "type": "checkPreconditions", "name": "Check",
                 "preconditions": [
                    {"type": "expression", "context": {"expression": "${#stage('Variables').outputs.label == 'v-hello'}"}},
                    {"type": "expression", "context": {"expression": "${#judgment('Approve') == 'ship'}"}},
                    {"type": "stageStatus", "context": {"stageName": "Deploy", "stageStatus": "SUCCEEDED"}},
                    {"type": "clusterSize", "context": {"credentials": "local", "regions": [namespace], "cluster": format!("{app}-web"), "expected": 0, "comparison": ">="}}
                 ]}
            ]
        }))
        .await;

        // A parameter outside its options is refused with its path, and nothing starts.
        let (status, refused) = call(addr, "POST", &format!("/api/v1/pipelines/{pipeline}/executions"),
            Some(json!({"parameters": {"greeting": "yo"}}))).await;
        assert_eq!(status, 400, "{refused:#}");
        assert_eq!(refused["fields"][0]["field"], "parameters.greeting");

        let first = start_execution(addr, &pipeline, json!({"greeting": "hello"})).await;
        // The two branches run side by side: wait for the judgment and for the other branch.
        let waiting = wait_execution(addr, &first, "the judgment and the variables", |e| stage_status(e, "Approve") == "RUNNING"
            && stage(e, "Approve")["tasks"][0]["message"] == "waiting for a judgment"
            && stage_status(e, "Variables") == "SUCCEEDED").await;
        assert_eq!(stage(&waiting, "Variables")["outputs"]["label"], "v-hello");
        assert_eq!(stage(&waiting, "Variables")["outputs"]["replicas"], 2);
        assert_eq!(stage(&waiting, "Approve")["context"]["instructions"], "Ship hello?");
        assert_eq!(stage_status(&waiting, "Deploy"), "NOT_STARTED", "the join waits for both branches");
        // Spinnaker's execution JSON: epoch milliseconds, Orca's statuses.
        assert!(waiting["buildTime"].is_i64() && waiting["startTime"].is_i64());
        assert_eq!(waiting["type"], "PIPELINE");
        assert_eq!(waiting["trigger"]["parameters"]["greeting"], "hello");

        let (status, body) = judge(addr, &first, "2", json!({"judgmentStatus": "continue"})).await;
        assert_eq!(status, 400, "an option must be chosen: {body:#}");
        let (status, body) = judge(addr, &first, "2", json!({"judgmentStatus": "continue", "judgmentInput": "ship"})).await;
        assert_eq!(status, 200, "{body:#}");
        let (status, _) = judge(addr, &first, "2", json!({"judgmentStatus": "stop"})).await;
        assert_eq!(status, 409, "a second decision is refused");
        let done = finished(addr, &first).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        assert_eq!(stage(&done, "Approve")["context"]["judgmentStatus"], "continue");
        assert_eq!(stage(&done, "Approve")["lastModified"]["user"], "anonymous");
        let v000 = format!("{app}-web-v000");
        assert_eq!(stage(&done, "Deploy")["outputs"]["deploy.server.groups"][&namespace][0], v000.as_str());

        let clusters_path = format!("/api/v1/applications/{app}/clusters");
        let clusters = eventually(addr, &clusters_path, "v000", |c| names(&server_groups(c)) == [v000.clone()]).await;
        let group = &server_groups(&clusters)[0];
        assert_eq!(group["spec"]["env"][0]["value"], "hello", "the expression reached the Pods");

        // Again, approved: Highlander leaves only the new server group.
        let second = start_execution(addr, &pipeline, json!({"greeting": "hello"})).await;
        wait_execution(addr, &second, "the judgment", |e| stage_status(e, "Approve") == "RUNNING").await;
        judge(addr, &second, "2", json!({"judgmentStatus": "continue", "judgmentInput": "ship"})).await;
        let done = finished(addr, &second).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let v001 = format!("{app}-web-v001");
        eventually(addr, &clusters_path, "only v001", |c| names(&server_groups(c)) == [v001.clone()]).await;

        // A third, stopped at the judgment: the pipeline is TERMINAL and nothing is deployed.
        let third = start_execution(addr, &pipeline, json!({"greeting": "hi"})).await;
        wait_execution(addr, &third, "the judgment", |e| stage_status(e, "Approve") == "RUNNING").await;
        judge(addr, &third, "2", json!({"judgmentStatus": "stop", "judgmentInput": "hold"})).await;
        let stopped = finished(addr, &third).await;
        assert_eq!(stopped["status"], "TERMINAL", "{}", summary(&stopped));
        assert_eq!(stage_status(&stopped, "Approve"), "TERMINAL");
        assert_eq!(stage_status(&stopped, "Deploy"), "NOT_STARTED");
        assert!(stage(&stopped, "Approve")["context"]["exception"]["details"]["error"]
            .as_str().is_some_and(|e| e.contains("chose Stop (hold)")), "{}", summary(&stopped));

        // The evaluate box: against the finished execution.
        let (status, value) = call(addr, "POST", &format!("/api/v1/executions/{first}/evaluate"),
            Some(json!({"expression": "#stage('Variables').outputs.replicas * 3"}))).await;
        assert_eq!((status, &value["result"]), (200, &json!(6)), "{value:#}");
        let (status, value) = call(addr, "POST", &format!("/api/v1/executions/{first}/evaluate"),
            Some(json!({"expression": "${parameters.nope}"}))).await;
        assert_eq!(status, 400);
        assert!(value["message"].as_str().is_some_and(|m| m.contains("nope")), "{value:#}");
    })
    .await;
}

#[tokio::test]
async fn red_black_disables_the_old_group_and_a_failed_deploy_rolls_back() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let (app, lb) = application_with_load_balancer(addr, "rb", &namespace).await;
        let red_black = |extra: Value| deploy_stage("1", &[], &app, &namespace, {
            let mut base = json!({"strategy": "redblack", "loadBalancers": [lb.clone()], "targetSize": 1,
                "rollback": {"onFailure": true}, "maxRemainingAsgs": 3});
            if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            base
        });
        let good = create_pipeline(addr, json!({"application": app, "name": "Red/Black",
            "stages": [red_black(json!({}))]})).await;
        for _ in 0..2 {
            let id = start_execution(addr, &good, json!({"greeting": "hello"})).await;
            let done = finished(addr, &id).await;
            assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        }
        let clusters_path = format!("/api/v1/applications/{app}/clusters");
        let (v000, v001) = (format!("{app}-web-v000"), format!("{app}-web-v001"));
        let disabled = |c: &Value, name: &str| server_groups(c).iter().find(|g| g["name"] == name).map(|g| g["disabled"] == true);
        eventually(addr, &clusters_path, "v000 disabled, v001 enabled", |c| {
            disabled(c, &v000) == Some(true) && disabled(c, &v001) == Some(false)
        })
        .await;

        // A deploy whose Pods never get a node: it times out, and the rollback puts v001 back.
        let bad = create_pipeline(addr, json!({"application": app, "name": "Never healthy",
            "stages": [{
                "overrideTimeout": true, "stageTimeoutMs": 8000,
                "refId": "1", "requisiteStageRefIds": [], "type": "deploy", "name": "Deploy",
                "clusters": red_black(json!({"nodeSelector": {"gennaker.io/nowhere": "true"}}))["clusters"].clone()
            }]})).await;
        let id = start_execution(addr, &bad, json!({"greeting": "hello"})).await;
        let done = finished(addr, &id).await;
        assert_eq!(done["status"], "TERMINAL", "{}", summary(&done));
        let error = stage_error(&done, "Deploy");
        assert!(error.contains("timed out") && error.contains("put back"), "{error}");
        let tasks: Vec<&str> = stage(&done, "Deploy")["tasks"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
        assert!(tasks.iter().any(|t| t.starts_with("Roll ")), "{tasks:?}");
        let v002 = format!("{app}-web-v002");
        eventually(addr, &clusters_path, "v001 serving, v002 disabled at 0", |c| {
            let groups = server_groups(c);
            let v002 = groups.iter().find(|g| g["name"] == v002.as_str());
            disabled(c, &v001) == Some(false) && v002.is_some_and(|g| g["disabled"] == true && g["desired"] == 0)
        })
        .await;
    })
    .await;
}

/// A pipeline whose stage 2 fails (a precondition) with `choice`, beside a branch of a Wait.
fn failing_branch(app: &str, choice: (&str, bool, bool, bool)) -> Value {
    let (_, fail, cont, then_fail) = choice;
    json!({"application": app, "name": format!("Fails: {}", choice.0), "stages": [
        support::pipelines::wait_stage("1", "Start", 0, &[]),
        {"refId": "2", "requisiteStageRefIds": ["1"], "type": "checkPreconditions", "name": "Fails",
         "failPipeline": fail, "continuePipeline": cont, "completeOtherBranchesThenFail": then_fail,
         "preconditions": [{"type": "expression", "context": {"expression": "${1 == 2}", "failureMessage": "one is not two"}}]},
        support::pipelines::wait_stage("3", "Other branch", 2, &["1"]),
        support::pipelines::wait_stage("4", "After it", 0, &["2"])
    ]})
}

#[tokio::test]
async fn the_four_failure_choices_end_as_orca_says() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("fail");
    create_application(addr, &app).await;
    // (choice, failed stage, other branch, after it, pipeline)
    let table = [
        (
            ("halt pipeline", true, false, false),
            "TERMINAL",
            "CANCELED",
            "NOT_STARTED",
            "TERMINAL",
        ),
        (
            ("halt branch", false, false, false),
            "STOPPED",
            "SUCCEEDED",
            "NOT_STARTED",
            "SUCCEEDED",
        ),
        (
            ("halt branch then fail", false, false, true),
            "STOPPED",
            "SUCCEEDED",
            "NOT_STARTED",
            "TERMINAL",
        ),
        (
            ("ignore", false, true, false),
            "FAILED_CONTINUE",
            "SUCCEEDED",
            "SUCCEEDED",
            "SUCCEEDED",
        ),
    ];
    for (choice, failed, other, after, pipeline_status) in table {
        let id = create_pipeline(addr, failing_branch(&app, choice)).await;
        let run = start_execution(addr, &id, json!({})).await;
        let done = finished(addr, &run).await;
        let got = (
            stage_status(&done, "Fails"),
            stage_status(&done, "Other branch"),
            stage_status(&done, "After it"),
            done["status"].as_str().unwrap_or_default(),
        );
        assert_eq!(
            got,
            (failed, other, after, pipeline_status),
            "{}: {}",
            choice.0,
            summary(&done)
        );
        assert!(
            stage(&done, "Fails")["context"]["exception"]["details"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("one is not two")),
            "{}",
            summary(&done)
        );
    }
}

#[tokio::test]
async fn cancel_pause_resume_restart_and_conditions() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("ctl");
    create_application(addr, &app).await;
    let id = create_pipeline(addr, json!({"application": app, "name": "Waits",
        "parameterConfig": [{"name": "skip", "default": "false"}],
        "stages": [
            support::pipelines::wait_stage("1", "Short", 0, &[]),
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "wait", "name": "Maybe",
             "waitTime": 0, "stageEnabled": {"type": "expression", "expression": "parameters.skip != 'true'"}},
            {"refId": "3", "requisiteStageRefIds": ["2"], "type": "wait", "name": "Long", "waitTime": 30,
             "overrideTimeout": true, "stageTimeoutMs": 60000}
        ]})).await;

    // A condition false: SKIPPED, and downstream still runs.
    let run = start_execution(addr, &id, json!({"skip": "true"})).await;
    let running = wait_execution(addr, &run, "the long wait", |e| {
        stage_status(e, "Long") == "RUNNING"
    })
    .await;
    assert_eq!(stage_status(&running, "Maybe"), "SKIPPED");

    // Pause: the stage's task pauses; resume: it goes on.
    let (status, paused) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/pause"),
        None,
    )
    .await;
    assert_eq!(
        (status, paused["status"].as_str()),
        (200, Some("PAUSED")),
        "{paused:#}"
    );
    wait_execution(addr, &run, "the stage's task paused", |e| {
        stage(e, "Long")["tasks"][0]["status"] == "PAUSED"
    })
    .await;
    let (status, _) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/pause"),
        None,
    )
    .await;
    assert_eq!(status, 409, "a paused execution cannot pause again");
    let (status, resumed) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/resume"),
        None,
    )
    .await;
    assert_eq!((status, resumed["status"].as_str()), (200, Some("RUNNING")));
    assert!(
        resumed["paused"]["pausedMs"]
            .as_i64()
            .is_some_and(|ms| ms >= 0)
    );

    // Cancel with a reason.
    let (status, _) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/cancel?reason=wrong%20build"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "CANCELED", "{}", summary(&done));
    assert_eq!(
        (
            done["canceled"].as_bool(),
            done["cancellationReason"].as_str()
        ),
        (Some(true), Some("wrong build"))
    );
    assert_eq!(stage_status(&done, "Long"), "CANCELED");

    // Restart a finished stage: it and everything after it run again.
    let (status, restarted) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/stages/2/restart"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{restarted:#}");
    assert_eq!(restarted["status"], "RUNNING");
    assert_eq!(
        stage(&restarted, "Maybe")["context"]["restartDetails"]["restartedBy"],
        "anonymous"
    );
    assert_eq!(stage_status(&restarted, "Long"), "NOT_STARTED");
    let again = wait_execution(addr, &run, "the long wait again", |e| {
        stage_status(e, "Long") == "RUNNING"
    })
    .await;
    assert_eq!(
        stage_status(&again, "Maybe"),
        "SKIPPED",
        "the condition is evaluated again"
    );
    let (status, _) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/stages/3/restart"),
        None,
    )
    .await;
    assert_eq!(status, 409, "a running stage cannot restart");
    call(
        addr,
        "POST",
        &format!("/api/v1/executions/{run}/cancel"),
        None,
    )
    .await;
    finished(addr, &run).await;
}

#[tokio::test]
async fn only_one_execution_runs_at_a_time_when_concurrency_is_limited() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("queue");
    create_application(addr, &app).await;
    let wait_for = |keep: bool| {
        json!({"application": app, "name": format!("Queue keep={keep}"),
        "limitConcurrent": true, "keepWaitingPipelines": keep,
        "stages": [support::pipelines::wait_stage("1", "Wait", 2, &[])]})
    };
    for keep in [false, true] {
        let id = create_pipeline(addr, wait_for(keep)).await;
        let runs = [
            start_execution(addr, &id, json!({})).await,
            start_execution(addr, &id, json!({})).await,
            start_execution(addr, &id, json!({})).await,
        ];
        let first = execution(addr, &runs[0]).await;
        assert_eq!(first["status"], "RUNNING");
        for queued in &runs[1..] {
            assert_eq!(
                execution(addr, queued).await["status"],
                "NOT_STARTED",
                "queued behind the first"
            );
        }
        let ends: Vec<String> = {
            let mut ends = Vec::new();
            for run in &runs {
                ends.push(
                    finished(addr, run).await["status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            ends
        };
        if keep {
            assert_eq!(
                ends,
                ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"],
                "every waiting one runs in turn"
            );
        } else {
            assert_eq!(
                ends,
                ["SUCCEEDED", "CANCELED", "SUCCEEDED"],
                "the newest waiting one runs, the others are canceled"
            );
        }
    }
}

/// A webhook target: `/deploy` answers with a status URL; the status is RUNNING twice, then
/// SUCCESS. `/flaky` answers 503 once, then 200. `/teapot` answers 418.
async fn webhook_target() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use axum::routing::{get, post};
    let polls = Arc::new(AtomicUsize::new(0));
    let flaky = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let counted = polls.clone();
    let app = axum::Router::new()
        .route(
            "/deploy",
            post(move |body: axum::Json<Value>| async move {
                axum::Json(json!({"statusUrl": format!("http://{addr}/status"), "echo": body.0}))
            }),
        )
        .route(
            "/status",
            get(move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    axum::Json(json!({"job": {"state": if n < 2 { "RUNNING" } else { "SUCCESS" }}}))
                }
            }),
        )
        .route(
            "/flaky",
            post(move || {
                let n = flaky.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy")
                    } else {
                        (axum::http::StatusCode::OK, "ok")
                    }
                }
            }),
        )
        .route(
            "/teapot",
            post(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "no coffee") }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, polls)
}

#[tokio::test]
async fn webhooks_are_called_retried_and_waited_on() {
    let server = support::start().await;
    let addr = server.addr;
    let (target, polls) = webhook_target().await;
    let app = unique("hook");
    create_application(addr, &app).await;
    let id = create_pipeline(addr, json!({"application": app, "name": "Hooks", "stages": [
        {"refId": "1", "requisiteStageRefIds": [], "type": "webhook", "name": "Deploy elsewhere",
         "url": format!("http://{target}/deploy"), "method": "POST", "payload": {"app": "${application}"},
         "customHeaders": {"X-Team": "web"}, "waitForCompletion": true,
         "statusUrlResolution": "webhookResponse", "statusUrlJsonPath": "$.statusUrl",
         "statusJsonPath": "$.job.state", "successStatuses": "SUCCESS", "terminalStatuses": "FAILED"},
        {"refId": "2", "requisiteStageRefIds": ["1"], "type": "webhook", "name": "Flaky",
         "url": format!("http://{target}/flaky"), "method": "POST", "retryStatusCodes": [503]},
        {"refId": "3", "requisiteStageRefIds": ["2"], "type": "webhook", "name": "Teapot",
         "url": format!("http://{target}/teapot"), "method": "POST", "failFastStatusCodes": [418]}
    ]})).await;
    let run = start_execution(addr, &id, json!({})).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "TERMINAL", "{}", summary(&done));
    assert_eq!(stage_status(&done, "Deploy elsewhere"), "SUCCEEDED");
    assert_eq!(
        stage(&done, "Deploy elsewhere")["outputs"]["webhook"]["body"]["echo"]["app"],
        app.as_str()
    );
    assert_eq!(
        stage(&done, "Deploy elsewhere")["outputs"]["webhook"]["monitor"]["status"],
        "SUCCESS"
    );
    assert_eq!(polls.load(Ordering::SeqCst), 3, "polled until SUCCESS");
    assert_eq!(stage_status(&done, "Flaky"), "SUCCEEDED", "503 is retried");
    assert!(stage(&done, "Flaky")["tasks"][0]["message"].is_string());
    assert_eq!(stage_status(&done, "Teapot"), "TERMINAL");
    assert!(
        stage(&done, "Teapot")["context"]["exception"]["details"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("418") && e.contains("no coffee")),
        "{}",
        summary(&done)
    );
}

#[tokio::test]
async fn a_pipeline_stage_runs_another_pipeline_and_waits_for_it() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("child");
    create_application(addr, &app).await;
    let child = create_pipeline(addr, json!({"application": app, "name": "Child",
        "parameterConfig": [{"name": "who"}],
        "stages": [{"refId": "1", "requisiteStageRefIds": [], "type": "checkPreconditions", "name": "Check who",
            "preconditions": [{"type": "expression", "context": {"expression": "${parameters.who == 'parent'}"}}]}]})).await;
    let parent = create_pipeline(addr, json!({"application": app, "name": "Parent", "stages": [
        {"refId": "1", "requisiteStageRefIds": [], "type": "pipeline", "name": "Run child",
         "application": app, "pipeline": child, "pipelineParameters": {"who": "parent"}, "waitForCompletion": true}
    ]})).await;
    let run = start_execution(addr, &parent, json!({})).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
    let child_run = stage(&done, "Run child")["outputs"]["executionId"]
        .as_str()
        .expect("the child's id")
        .to_string();
    let child_done = execution(addr, &child_run).await;
    assert_eq!(child_done["status"], "SUCCEEDED");
    assert_eq!(child_done["trigger"]["type"], "pipeline");
    assert_eq!(child_done["parentExecution"]["id"], run.as_str());
}

#[tokio::test]
async fn a_bad_expression_fails_its_stage_saying_which_and_why() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("expr");
    create_application(addr, &app).await;
    let id = create_pipeline(addr, json!({"application": app, "name": "Bad", "stages": [
        {"refId": "1", "requisiteStageRefIds": [], "type": "wait", "name": "Wait", "waitTime": "${parameters.seconds}"}
    ]})).await;
    let run = start_execution(addr, &id, json!({})).await;
    let done = finished(addr, &run).await;
    assert_eq!(done["status"], "TERMINAL");
    let error = stage(&done, "Wait")["context"]["exception"]["details"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("${parameters.seconds}") && error.contains("seconds"),
        "{error}"
    );
}

/// A pipeline as Spinnaker's Deck exports it, with a stage type Gennaker does not run.
fn deck_export(app: &str) -> Value {
    json!({
        "application": app, "name": "From Spinnaker", "id": "3f0d1c5e-8f0c-4a1e-9f7e-6a2b1c0d9e8f",
        "index": 0, "keepWaitingPipelines": false, "limitConcurrent": true, "spelEvaluator": "v4",
        "lastModifiedBy": "alice", "updateTs": "1700000000000",
        "triggers": [{"type": "docker", "enabled": true, "account": "company", "organization": "team",
            "registry": "registry.example.com", "repository": "team/web", "tag": "^v.*"}],
        "parameterConfig": [{"name": "env", "label": "Environment", "default": "staging", "required": true,
            "hasOptions": true, "options": [{"value": "staging"}, {"value": "prod"}], "pinned": false, "description": ""}],
        "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "kayentaCanary", "name": "Bake",
             "analysisType": "realTime", "canaryConfig": {"canaryConfigId": "c1", "lifetimeDuration": "PT1H"}},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "manualJudgment", "name": "Approve",
             "judgmentInputs": [], "notifications": [], "failPipeline": true}
        ],
        "notifications": [{"type": "slack", "address": "deploys", "level": "pipeline", "when": ["pipeline.failed"]}],
        "expectedArtifacts": [], "appConfig": {}
    })
}

#[tokio::test]
async fn a_spinnaker_export_round_trips_unchanged_and_refuses_to_start() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("deck");
    create_application(addr, &app).await;
    let exported = deck_export(&app);
    let id = create_pipeline(addr, exported.clone()).await;
    assert_eq!(id, "3f0d1c5e-8f0c-4a1e-9f7e-6a2b1c0d9e8f", "the id is kept");
    let (status, back) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    assert_eq!(status, 200);
    assert_eq!(back, exported, "every field comes back unchanged");
    let (status, refused) = call(
        addr,
        "POST",
        &format!("/api/v1/pipelines/{id}/executions"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(refused["fields"][0]["field"], "stages[0].type");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"Bake\" is a kayentaCanary stage")),
        "{refused:#}"
    );
    let (_, executions) = call(
        addr,
        "GET",
        &format!("/api/v1/executions?application={app}"),
        None,
    )
    .await;
    assert_eq!(executions, json!([]), "nothing started");
}

#[tokio::test]
async fn bad_pipelines_are_refused_by_path_and_nothing_changes() {
    let server = support::start().await;
    let addr = server.addr;
    let app = unique("bad");
    create_application(addr, &app).await;
    let wait = |ref_id: &str, requisites: &[&str]| {
        json!({"refId": ref_id, "requisiteStageRefIds": requisites,
        "type": "wait", "name": format!("W{ref_id}"), "waitTime": 1})
    };
    let cases = [
        (
            json!([wait("1", &["2"]), wait("2", &["1"])]),
            "stages[0].requisiteStageRefIds",
            "circle",
        ),
        (
            json!([wait("1", &[]), wait("1", &[])]),
            "stages[1].refId",
            "unique",
        ),
        (
            json!([wait("1", &["7"])]),
            "stages[0].requisiteStageRefIds[0]",
            "no stage has",
        ),
        (
            json!([{"refId": "1", "type": "wait", "name": "W", "waitTime": "${1 +}"}]),
            "stages[0].waitTime",
            "column",
        ),
        (
            json!([{"refId": "1", "type": "wait", "name": "W", "waitTime": {"minutes": 2}}]),
            "stages[0].waitTime",
            "whole number",
        ),
        (
            json!([{"refId": "1", "type": "deployManifest", "name": "D", "account": "nowhere", "manifests": [{"kind": "x"}]}]),
            "stages[0].account",
            "no Kubernetes account",
        ),
    ];
    for (stages, field, words) in cases {
        let (status, body) = call(
            addr,
            "POST",
            "/api/v1/pipelines",
            Some(json!({"application": app, "name": "Bad", "stages": stages})),
        )
        .await;
        assert_eq!(status, 400, "{body:#}");
        let problem = body["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|e| e["field"] == field))
            .unwrap_or_else(|| panic!("no problem at {field}: {body:#}"));
        assert!(
            problem["message"]
                .as_str()
                .is_some_and(|m| m.contains(words)),
            "{field}: {problem}"
        );
    }
    // Unknown fields of the pipeline itself are a type error only when a known field has the
    // wrong type: stageTimeoutMs must be a number.
    let (status, body) = call(addr, "POST", "/api/v1/pipelines",
        Some(json!({"application": app, "name": "Bad", "stages": [{"refId": "1", "type": "wait", "name": "W", "waitTime": 1, "stageTimeoutMs": "soon"}]}))).await;
    assert_eq!(status, 400, "{body:#}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("stages[0].stageTimeoutMs")),
        "{body:#}"
    );
    let (_, pipelines) = call(
        addr,
        "GET",
        &format!("/api/v1/applications/{app}/pipelines"),
        None,
    )
    .await;
    assert_eq!(pipelines, json!([]), "nothing was stored");

    // Versions: a save based on an older version is a conflict.
    let id = create_pipeline(
        addr,
        json!({"application": app, "name": "Good", "stages": [wait("1", &[])]}),
    )
    .await;
    let (_, stored) = call(addr, "GET", &format!("/api/v1/pipelines/{id}"), None).await;
    let mut renamed = stored["config"].clone();
    renamed["name"] = json!("Renamed");
    let (status, _) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{id}?version=1"),
        Some(renamed.clone()),
    )
    .await;
    assert_eq!(status, 200);
    renamed["description"] = json!("lost?");
    let (status, conflict) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{id}?version=1"),
        Some(renamed),
    )
    .await;
    assert_eq!(status, 409, "{conflict:#}");
    let (_, history) = call(
        addr,
        "GET",
        &format!("/api/v1/pipelines/{id}/history"),
        None,
    )
    .await;
    assert_eq!(history.as_array().map(Vec::len), Some(2));
    let (status, restored) = call(
        addr,
        "POST",
        &format!("/api/v1/pipelines/{id}/history/1/restore?version=2"),
        None,
    )
    .await;
    assert_eq!(
        (status, restored["config"]["name"].as_str()),
        (200, Some("Good"))
    );
    // A pipeline for an application that does not exist is refused.
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": "no-such-app", "name": "X", "stages": []})),
    )
    .await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (400, Some("application"))
    );
}
