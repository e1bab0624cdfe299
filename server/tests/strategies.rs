//! The Rolling Red/Black and Custom deploy strategies through the JSON API against the local
//! cluster: growing the new server group through percentages with a validation pipeline told
//! how far it got, moving traffic from the previous server group step by step; a validation
//! that fails rolls back to the previous server group; a Custom strategy runs its pipeline with
//! Spinnaker's parameters and the new server group.

mod support;

use serde_json::{Value, json};
use support::cluster::{
    application_with_load_balancer, call, eventually, in_scratch_namespace, kubernetes_config,
    test_cluster,
};
use support::pipelines::{
    create_pipeline, finished, server_groups, stage, start_execution, summary,
};

/// A Deploy stage of one cluster `{app}-web` with `strategy` and its settings.
fn deploy(
    app: &str,
    namespace: &str,
    lb: &str,
    replicas: u64,
    strategy: &str,
    extra: Value,
) -> Value {
    let mut cluster = json!({"account": "local", "application": app, "cloudProvider": "kubernetes",
        "namespace": namespace, "region": namespace, "stack": "web", "targetSize": replicas,
        "strategy": strategy, "loadBalancers": [lb],
        "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]});
    if let (Some(target), Some(extra)) = (cluster.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    json!({"refId": "1", "requisiteStageRefIds": [], "type": "deploy", "name": "Deploy", "clusters": [cluster]})
}

async fn run(addr: std::net::SocketAddr, app: &str, name: &str, stages: Value) -> Value {
    let id = create_pipeline(
        addr,
        json!({"application": app, "name": name, "stages": stages}),
    )
    .await;
    finished(addr, &start_execution(addr, &id, json!({})).await).await
}

/// A pipeline that records the parameters it was started with as variables.
async fn recorder(
    addr: std::net::SocketAddr,
    app: &str,
    name: &str,
    keys: &[(&str, &str)],
) -> String {
    let variables: Vec<Value> = keys
        .iter()
        .map(|(key, expression)| json!({"key": key, "value": format!("${{{expression}}}")}))
        .collect();
    create_pipeline(addr, json!({"application": app, "name": name, "stages": [
        {"refId": "1", "requisiteStageRefIds": [], "type": "evaluateVariables", "name": "Record", "variables": variables}
    ]}))
    .await
}

/// The executions of pipeline `id`, oldest first.
async fn runs_of(addr: std::net::SocketAddr, id: &str) -> Vec<Value> {
    let (status, body) = call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let mut runs = body.as_array().cloned().unwrap_or_default();
    runs.sort_by_key(|e| e["buildTime"].as_i64());
    runs
}

fn group<'g>(groups: &'g [Value], name: &str) -> &'g Value {
    groups
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no server group {name} in {groups:#?}"))
}

#[tokio::test]
async fn rolling_red_black_moves_traffic_step_by_step_and_tells_its_validation_pipeline() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let (app, lb) = application_with_load_balancer(addr, "rrb", &namespace).await;
        let v = |n: u32| format!("{app}-web-v{n:03}");
        let first = run(addr, &app, "First", json!([deploy(&app, &namespace, &lb, 4, "", json!({}))])).await;
        assert_eq!(first["status"], "SUCCEEDED", "{}", summary(&first));

        let validate = recorder(addr, &app, "Validate", &[
            ("percent", "parameters.percentageComplete"),
            ("deployed", "parameters.deployedServerGroup.serverGroupName"),
            ("source", "parameters.sourceServerGroup.serverGroupName"),
            ("note", "parameters.note"),
        ]).await;
        let rolling = run(addr, &app, "Rolling", json!([deploy(&app, &namespace, &lb, 4, "rollingredblack", json!({
            "targetPercentages": [25, 50], "scaleDown": true,
            "pipelineBeforeCleanup": {"application": app, "pipelineId": validate, "pipelineParameters": {"note": "checked"}}
        }))])).await;
        assert_eq!(rolling["status"], "SUCCEEDED", "{}", summary(&rolling));

        // 25, 50 and the 100 added at the end: each grows the new one, then moves that share.
        let steps: Vec<String> = stage(&rolling, "Deploy")["tasks"].as_array().into_iter().flatten()
            .map(|t| format!("{} | {}", t["name"].as_str().unwrap_or_default(), t["message"].as_str().unwrap_or_default()))
            .collect();
        for expected in [
            "Grow to 25% of 4 replicas: 1".to_string(),
            "Grow to 50% of 4 replicas: 2".to_string(),
            "Grow to 100% of 4 replicas: 4".to_string(),
            format!("Move 25% of the traffic from the previous server group | 25% of {}'s Pods are out of its load balancers", v(0)),
            format!("Move 100% of the traffic from the previous server group | {} is disabled", v(0)),
        ] {
            assert!(steps.iter().any(|s| s.starts_with(&expected)), "{expected} in {steps:#?}");
        }

        let validations = runs_of(addr, &validate).await;
        let seen: Vec<(Value, Value, Value, Value)> = validations.iter().map(|e| {
            let o = &stage(e, "Record")["outputs"];
            (o["percent"].clone(), o["deployed"].clone(), o["source"].clone(), o["note"].clone())
        }).collect();
        assert_eq!(seen, [25, 50, 100].map(|p| (json!(p), json!(v(1)), json!(v(0)), json!("checked"))));

        let path = format!("/api/v1/applications/{app}/clusters");
        let clusters = eventually(addr, &path, "v000 disabled and scaled down, v001 serving", |c| {
            let groups = server_groups(c);
            groups.iter().any(|g| g["name"] == v(0) && g["disabled"] == true && g["desired"] == 0)
                && groups.iter().any(|g| g["name"] == v(1) && g["disabled"] == false && g["desired"] == 4)
        })
        .await;
        assert_eq!(server_groups(&clusters).len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_failed_validation_puts_the_previous_server_group_back() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let (app, lb) = application_with_load_balancer(addr, "rrf", &namespace).await;
        let v = |n: u32| format!("{app}-web-v{n:03}");
        let first = run(addr, &app, "First", json!([deploy(&app, &namespace, &lb, 2, "", json!({}))])).await;
        assert_eq!(first["status"], "SUCCEEDED", "{}", summary(&first));
        // Passes at 50 %, fails at 100 %: half of v000's Pods are out of traffic by then.
        let gate = create_pipeline(addr, json!({"application": app, "name": "Gate", "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "checkPreconditions", "name": "Check",
             "preconditions": [{"type": "expression", "failPipeline": true,
                "context": {"expression": "${parameters.percentageComplete == 50}", "failureMessage": "not at 100"}}]}
        ]})).await;
        let failed = run(addr, &app, "Rolling", json!([deploy(&app, &namespace, &lb, 2, "rollingredblack", json!({
            "targetPercentages": [50, 100], "rollback": {"onFailure": true},
            "pipelineBeforeCleanup": {"pipelineId": gate}
        }))])).await;
        assert_eq!(failed["status"], "TERMINAL", "{}", summary(&failed));
        let deploy_stage = stage(&failed, "Deploy");
        assert!(deploy_stage["context"]["rollback"].is_object(), "a rollback ran: {deploy_stage:#}");

        let path = format!("/api/v1/applications/{app}/clusters");
        eventually(addr, &path, "v000 serving with all its Pods, v001 disabled at 0", |c| {
            let groups = server_groups(c);
            let (old, new) = (group(&groups, &v(0)), group(&groups, &v(1)));
            old["disabled"] == false && old["desired"] == 2 && new["disabled"] == true && new["desired"] == 0
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_custom_strategy_runs_its_pipeline_with_the_new_server_group() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let (app, lb) = application_with_load_balancer(addr, "cst", &namespace).await;
        let strategy = recorder(addr, &app, "Strategy", &[
            ("strategy", "parameters.strategy"),
            ("cluster", "parameters.cluster"),
            ("credentials", "parameters.credentials"),
            ("namespace", "parameters.namespace"),
            ("serverGroup", "parameters.deployedServerGroup.serverGroupName"),
            ("parentStage", "parameters.parentStageId"),
            ("note", "parameters.note"),
        ]).await;
        let done = run(addr, &app, "Custom", json!([deploy(&app, &namespace, &lb, 1, "custom", json!({
            "strategyApplication": app, "strategyPipeline": strategy, "pipelineParameters": {"note": "by hand"}
        }))])).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let runs = runs_of(addr, &strategy).await;
        assert_eq!(runs.len(), 1);
        let recorded = &stage(&runs[0], "Record")["outputs"];
        assert_eq!(recorded["strategy"], true);
        assert_eq!(recorded["cluster"], format!("{app}-web"));
        assert_eq!((recorded["credentials"].as_str(), recorded["namespace"].as_str()), (Some("local"), Some(namespace.as_str())));
        assert_eq!(recorded["serverGroup"], format!("{app}-web-v000"));
        assert_eq!(recorded["parentStage"], stage(&done, "Deploy")["id"]);
        assert_eq!(recorded["note"], "by hand");

        // A Custom strategy without its pipeline is refused on save.
        let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(json!({"application": app, "name": "No strategy",
            "stages": [deploy(&app, &namespace, &lb, 1, "custom", json!({}))]}))).await;
        assert_eq!(status, 400, "{body:#}");
        assert_eq!(body["fields"][0]["field"], "stages[0].clusters[0].strategyPipeline");
    })
    .await;
}
