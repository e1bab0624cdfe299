//! The Jenkins stage through the JSON API against the test Jenkins (`end2end/services/jenkins.sh`:
//! a fake Jenkins answering Jenkins' documented remote-access API with basic auth by API token,
//! as no Jenkins war is served by the package registries here): a parameterized job whose
//! property file feeds a later stage, a job in a folder, UNSTABLE / FAILURE / ABORTED builds,
//! a missing property file, a wrong token, not waiting for the build, and a master that is not
//! configured, refused on save.

mod support;

use gennaker::config::JenkinsMaster;
use serde_json::{Value, json};
use support::cluster::{call, create_application, unique};
use support::pipelines::{create_pipeline, finished, stage, stage_error, start_execution, summary};

/// The test Jenkins as master `ci`, and the same with a wrong token as `wrong`; `None` when it
/// is not running and the run is not CI.
fn test_masters() -> Option<Vec<JenkinsMaster>> {
    let var = |name: &str| std::env::var(format!("GENNAKER_TEST_JENKINS_{name}")).ok();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(url), Some(user), Some(token_file)) =
        (var("URL"), var("USERNAME"), var("TOKEN_FILE"))
    else {
        assert!(
            !in_ci,
            "CI=true but GENNAKER_TEST_JENKINS_* is not set: start end2end/services/jenkins.sh first"
        );
        eprintln!(
            "GENNAKER_TEST_JENKINS_* is not set: this test needs the test Jenkins (make test starts it)"
        );
        return None;
    };
    let token = std::fs::read_to_string(&token_file)
        .unwrap_or_else(|e| panic!("cannot read {token_file}: {e}"))
        .trim()
        .to_string();
    let master = |name: &str, token: String| JenkinsMaster {
        name: name.into(),
        address: url.clone(),
        credentials: Some((user.clone(), token)),
        ca_pem: None,
    };
    Some(vec![
        master("ci", token),
        master("wrong", "not-the-token".into()),
    ])
}

fn jenkins(name: &str, master: &str, job: &str, extra: Value) -> Value {
    let mut stage = json!({"refId": "1", "requisiteStageRefIds": [], "type": "jenkins", "name": name,
        "master": master, "job": job});
    if let (Some(target), Some(extra)) = (stage.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    stage
}

/// Runs a pipeline of `stages` and gives the finished execution.
async fn run(
    addr: std::net::SocketAddr,
    app: &str,
    name: &str,
    stages: Value,
    parameters: Value,
) -> Value {
    let id = create_pipeline(
        addr,
        json!({"application": app, "name": name, "stages": stages}),
    )
    .await;
    finished(addr, &start_execution(addr, &id, parameters).await).await
}

#[tokio::test]
async fn a_jenkins_stage_runs_a_job_and_hands_on_its_property_file() {
    let Some(masters) = test_masters() else {
        return;
    };
    let server = support::Setup::default().jenkins(masters).start().await;
    let addr = server.addr;
    let app = unique("jenkins");
    create_application(addr, &app).await;

    let (_, listed) = call(addr, "GET", "/api/v1/jenkins-masters", None).await;
    assert_eq!(listed, json!(["ci", "wrong"]));
    let (status, jobs) = call(addr, "GET", "/api/v1/jenkins-masters/ci/jobs", None).await;
    assert_eq!(status, 200, "{jobs:#}");
    assert!(
        jobs.as_array()
            .is_some_and(|j| j.contains(&json!("build-web"))),
        "{jobs:#}"
    );

    // Parameters (an expression among them) reach the build; its property file feeds a stage.
    let done = run(addr, &app, "Build", json!([
        jenkins("Build", "ci", "build-web", json!({"parameters": {"VERSION": "${parameters.version}"},
            "propertyFile": "build.properties"})),
        {"refId": "2", "requisiteStageRefIds": ["1"], "type": "evaluateVariables", "name": "Use",
         "variables": [{"key": "tag", "value": "${#stage('Build')['outputs']['imageTag']}"}]}
    ]), json!({"version": "2.4.0"})).await;
    assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
    let outputs = &stage(&done, "Build")["outputs"];
    assert_eq!(outputs["buildInfo"]["result"], "SUCCESS");
    assert!(
        outputs["buildInfo"]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/job/build-web/")),
        "{outputs:#}"
    );
    assert!(
        outputs["queuedBuild"].is_u64() && outputs["buildNumber"].is_u64(),
        "{outputs:#}"
    );
    assert_eq!(outputs["propertyFileContents"]["imageTag"], "2.4.0");
    assert_eq!(stage(&done, "Use")["outputs"]["tag"], "2.4.0");

    // A job in a folder, without parameters.
    let nightly = run(
        addr,
        &app,
        "Nightly",
        json!([jenkins("Nightly", "ci", "team/nightly", json!({}))]),
        json!({}),
    )
    .await;
    assert_eq!(nightly["status"], "SUCCEEDED", "{}", summary(&nightly));
    assert!(
        stage(&nightly, "Nightly")["outputs"]["buildInfo"]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/job/team/job/nightly/"))
    );

    // UNSTABLE goes on only when marked as successful; FAILURE and ABORTED fail with the link.
    let result = |r: &str, extra: Value| {
        let mut stage = jenkins(
            "Build",
            "ci",
            "build-web",
            json!({"parameters": {"VERSION": "1.0.0", "RESULT": r}}),
        );
        if let (Some(target), Some(extra)) = (stage.as_object_mut(), extra.as_object()) {
            target.extend(extra.clone());
        }
        json!([stage])
    };
    let unstable_ok = run(
        addr,
        &app,
        "Unstable ok",
        result("UNSTABLE", json!({"markUnstableAsSuccessful": true})),
        json!({}),
    )
    .await;
    assert_eq!(
        unstable_ok["status"],
        "SUCCEEDED",
        "{}",
        summary(&unstable_ok)
    );
    for (name, outcome, says) in [
        ("Unstable", "UNSTABLE", "is UNSTABLE"),
        ("Failure", "FAILURE", "failed: http"),
        ("Aborted", "ABORTED", "was aborted"),
    ] {
        let failed = run(addr, &app, name, result(outcome, json!({})), json!({})).await;
        assert_eq!(failed["status"], "TERMINAL", "{}", summary(&failed));
        let error = stage_error(&failed, "Build");
        assert!(
            error.contains(says) && error.contains("/console"),
            "{name}: {error}"
        );
        assert_eq!(
            stage(&failed, "Build")["outputs"]["buildInfo"]["result"],
            outcome
        );
    }

    // A property file the build did not archive.
    let missing = run(
        addr,
        &app,
        "Missing",
        json!([jenkins(
            "Build",
            "ci",
            "build-web",
            json!({"parameters": {"VERSION": "1.0.0"}, "propertyFile": "missing.properties"})
        )]),
        json!({}),
    )
    .await;
    assert_eq!(missing["status"], "TERMINAL");
    let error = stage_error(&missing, "Build");
    assert!(
        error.contains("archived no file missing.properties (it archived out/build.properties)"),
        "{error}"
    );

    // A wrong API token: Jenkins' 401, not retried.
    let refused = run(
        addr,
        &app,
        "Wrong token",
        json!([jenkins("Build", "wrong", "build-web", json!({}))]),
        json!({}),
    )
    .await;
    assert_eq!(refused["status"], "TERMINAL");
    let error = stage_error(&refused, "Build");
    assert!(
        error.contains("answered 401 to starting job build-web"),
        "{error}"
    );

    // Not waiting: done once the build has started.
    let started = run(
        addr,
        &app,
        "Start only",
        json!([jenkins(
            "Build",
            "ci",
            "build-web",
            json!({"parameters": {"VERSION": "1.0.0"}, "waitForCompletion": false})
        )]),
        json!({}),
    )
    .await;
    assert_eq!(started["status"], "SUCCEEDED", "{}", summary(&started));
    let outputs = &stage(&started, "Build")["outputs"];
    assert!(
        outputs["buildNumber"].is_u64() && outputs["buildInfo"]["result"].is_null(),
        "{outputs:#}"
    );

    // A master that is not configured is refused on save, beside its field.
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": app, "name": "Nowhere",
        "stages": [jenkins("Build", "nope", "build-web", json!({}))]})),
    )
    .await;
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(body["fields"][0]["field"], "stages[0].master");
    assert!(
        body["fields"][0]["message"].as_str().is_some_and(
            |m| m.contains("there is no Jenkins master \"nope\"; configured: ci, wrong")
        ),
        "{body:#}"
    );
}
