//! Triggers through the real server: a Docker Registry trigger against the test registry
//! (images pushed with skopeo; found by polling, and by the registry's own notifications), a
//! per-second Quartz CRON trigger, Webhook triggers with constraints and a secret, signed Git
//! pushes, and Pipeline triggers. The stages are Waits: what is tested is what starts them.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gennaker::config::{Secrets, TriggersConfig};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::cluster::{call, create_application, unique};
use support::pipelines::{create_pipeline, finished, start_execution};
use support::{Setup, request, start_setup};

fn wait_stage() -> Value {
    json!(support::pipelines::wait_stage("1", "Wait", 0, &[]))
}

/// The executions of `pipeline`, newest first.
async fn executions(addr: SocketAddr, pipeline: &str) -> Vec<Value> {
    let (status, body) = call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={pipeline}&limit=100"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Waits until `pipeline` has `count` executions; returns them, newest first.
async fn wait_for_executions(
    addr: SocketAddr,
    pipeline: &str,
    count: usize,
    limit: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let found = executions(addr, pipeline).await;
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "pipeline {pipeline} has {} executions, not {count}, after {limit:?}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> support::Response {
    request(addr, "POST", path, headers, Some(body)).await
}

/// The repository's status as the Docker triggers last saw it, once seen after `since`.
async fn scanned(addr: SocketAddr, repository: &str, since: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = call(addr, "GET", "/api/v1/triggers/docker", None).await;
        let found = body
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["repository"] == repository && millis_of(&r["checkedAt"]) > since)
            .cloned();
        if let Some(found) = found {
            assert_eq!(found["error"], Value::Null, "{found}");
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{repository} was never scanned: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn millis_of(rfc3339: &Value) -> i64 {
    rfc3339
        .as_str()
        .and_then(|t| humantime::parse_rfc3339(t).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[tokio::test]
async fn docker_pushes_start_a_pipeline_once_found_by_polling_and_by_notification() {
    let Some(registry) = support::registry::account() else {
        return;
    };
    let repository = format!("gennaker/{}", unique("trig"));
    support::registry::push(&repository, "v1", "").await;
    let polling = Setup {
        docker_registries: vec![registry.clone()],
        triggers: TriggersConfig {
            docker_poll_interval: Duration::from_secs(2),
            ..TriggersConfig::default()
        },
        ..Setup::default()
    };
    let server = start_setup(polling.clone(), None).await;
    let addr = server.addr;
    create_application(addr, "shop").await;
    let since = now_millis();
    let pipeline = create_pipeline(
        addr,
        json!({"application": "shop", "name": "On push",
            "triggers": [{"type": "docker", "enabled": true, "account": "test",
                "registry": registry.address, "repository": repository, "tag": "v.*"}],
            "stages": [wait_stage()]}),
    )
    .await;
    // The first scan records v1 and starts nothing.
    let first = scanned(addr, &repository, since).await;
    assert_eq!(first["tags"], 1, "{first}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(executions(addr, &pipeline).await.is_empty());

    // A new tag, found by polling.
    let digest_v2 = support::registry::push(&repository, "v2", "").await;
    let pushed = Instant::now();
    let found = wait_for_executions(addr, &pipeline, 1, Duration::from_secs(30)).await;
    eprintln!(
        "latency by polling every 2 s: {} ms from skopeo copy to the execution",
        pushed.elapsed().as_millis()
    );
    let trigger = &found[0]["trigger"];
    assert_eq!(trigger["type"], "docker");
    assert_eq!(trigger["tag"], "v2");
    assert_eq!(trigger["digest"], digest_v2.as_str());
    assert_eq!(trigger["repository"], repository.as_str());
    assert_eq!(trigger["registry"], registry.address.as_str());
    assert_eq!(trigger["artifacts"][0]["type"], "docker/image");
    assert_eq!(
        trigger["artifacts"][0]["reference"],
        format!("{}/{repository}:v2", registry.address)
    );
    assert_eq!(trigger["user"], "anonymous");
    // A tag the pattern does not match starts nothing; neither does latest.
    support::registry::push(&repository, "nightly", "").await;
    let before_restart = now_millis();
    scanned(addr, &repository, before_restart).await;

    // Restarted on the port the registry notifies, polling only hourly: only notifications
    // start it now, and the restart itself starts nothing.
    let notified = Setup {
        port: Some(support::registry::notify_port()),
        triggers: TriggersConfig {
            docker_poll_interval: Duration::from_secs(3600),
            ..TriggersConfig::default()
        },
        ..polling
    };
    let server = server.restart(notified).await;
    let addr = server.addr;
    let restarted = now_millis();
    let again = scanned(addr, &repository, restarted).await;
    assert_eq!(again["tags"], 3, "{again}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        executions(addr, &pipeline).await.len(),
        1,
        "a restart started nothing"
    );

    let digest_v3 = support::registry::push(&repository, "v3", "").await;
    let pushed = Instant::now();
    let found = wait_for_executions(addr, &pipeline, 2, Duration::from_secs(30)).await;
    eprintln!(
        "latency by registry notification: {} ms from skopeo copy to the execution",
        pushed.elapsed().as_millis()
    );
    assert_eq!(found[0]["trigger"]["tag"], "v3");
    assert_eq!(found[0]["trigger"]["digest"], digest_v3.as_str());

    // The same tag pushed again with other content: a new digest, so a new execution.
    let rebuilt = support::registry::push(&repository, "v3", "2").await;
    assert_ne!(rebuilt, digest_v3);
    let found = wait_for_executions(addr, &pipeline, 3, Duration::from_secs(30)).await;
    assert_eq!(found[0]["trigger"]["tag"], "v3");
    assert_eq!(found[0]["trigger"]["digest"], rebuilt.as_str());
    // The same image again: nothing.
    support::registry::push(&repository, "v3", "2").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(executions(addr, &pipeline).await.len(), 3);
    for execution in executions(addr, &pipeline).await {
        finished(addr, execution["id"].as_str().unwrap_or_default()).await;
    }
}

/// docker-registry notifies while the push is still finishing, so the manifest can be missing
/// when the notification is checked. Here the notification comes first, deterministically:
/// the tag is read again with backoff and the pipeline starts seconds later, not at the next
/// poll (an hour away). This server is not on the registry's notification port, so the
/// registry's own notification cannot help.
#[tokio::test]
async fn a_notification_that_races_the_push_still_starts_the_pipeline() {
    let Some(registry) = support::registry::account() else {
        return;
    };
    let repository = format!("gennaker/{}", unique("race"));
    support::registry::push(&repository, "v1", "").await;
    let server = start_setup(
        Setup {
            docker_registries: vec![registry.clone()],
            triggers: TriggersConfig {
                docker_poll_interval: Duration::from_secs(3600),
                ..TriggersConfig::default()
            },
            ..Setup::default()
        },
        None,
    )
    .await;
    let addr = server.addr;
    let app = unique("race");
    create_application(addr, &app).await;
    let since = now_millis();
    let pipeline = create_pipeline(
        addr,
        json!({"application": app, "name": "On push",
            "triggers": [{"type": "docker", "enabled": true, "account": "test",
                "registry": registry.address, "repository": repository, "tag": "v.*"}],
            "stages": [wait_stage()]}),
    )
    .await;
    scanned(addr, &repository, since).await;
    let envelope = json!({"events": [{"action": "push", "target": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "repository": repository, "tag": "v2"}}]});
    let (status, body) = call(addr, "POST", "/webhooks/registry/test", Some(envelope)).await;
    assert_eq!(status, 202, "{body}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let digest = support::registry::push(&repository, "v2", "").await;
    let found = wait_for_executions(addr, &pipeline, 1, Duration::from_secs(10)).await;
    assert_eq!(found[0]["trigger"]["tag"], "v2");
    assert_eq!(found[0]["trigger"]["digest"], digest.as_str());
    finished(addr, found[0]["id"].as_str().unwrap_or_default()).await;
}

#[tokio::test]
async fn a_quartz_cron_trigger_runs_every_second_until_disabled() {
    let server = start_setup(Setup::default(), None).await;
    let addr = server.addr;
    create_application(addr, "clock").await;
    let config = json!({"application": "clock", "name": "Every second",
        "triggers": [{"type": "cron", "id": "c1", "enabled": true,
            "cronExpression": "* * * * * ?", "timeZone": "Asia/Tokyo"}],
        "stages": [wait_stage()]});
    // A bad expression or zone is refused, saying where.
    let mut bad = config.clone();
    bad["triggers"][0]["cronExpression"] = json!("* * * * * * * *");
    bad["triggers"][0]["id"] = json!("c2");
    let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(bad)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["fields"][0]["field"], "triggers[0].cronExpression",
        "{body}"
    );
    let (_, preview) = call(
        addr,
        "GET",
        "/api/v1/triggers/cron?expression=0%2030%209%20%3F%20*%20MON-FRI&timeZone=Asia%2FTokyo",
        None,
    )
    .await;
    assert_eq!(preview.as_array().map(Vec::len), Some(5), "{preview}");

    let pipeline = create_pipeline(addr, config).await;
    let found = wait_for_executions(addr, &pipeline, 3, Duration::from_secs(20)).await;
    let mut scheduled: Vec<i64> = found
        .iter()
        .map(|e| e["trigger"]["scheduledTime"].as_i64().unwrap_or_default())
        .collect();
    scheduled.sort();
    scheduled.dedup();
    assert!(
        scheduled.len() >= 3,
        "one execution per second: {scheduled:?}"
    );
    assert!(scheduled.iter().all(|t| t % 1000 == 0), "{scheduled:?}");
    assert_eq!(found[0]["trigger"]["type"], "cron");
    assert_eq!(found[0]["trigger"]["cronExpression"], "* * * * * ?");
    assert_eq!(found[0]["trigger"]["timeZone"], "Asia/Tokyo");

    // Disabled: it stops.
    let (_, stored) = call(addr, "GET", &format!("/api/v1/pipelines/{pipeline}"), None).await;
    let mut disabled = stored["config"].clone();
    disabled["disabled"] = json!(true);
    let (status, body) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{pipeline}?version={}", stored["version"]),
        Some(disabled),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let count = executions(addr, &pipeline).await.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        executions(addr, &pipeline).await.len(),
        count,
        "disabled, it stopped"
    );
}

#[tokio::test]
async fn a_finished_jenkins_build_with_a_chosen_result_starts_its_pipeline_once() {
    let var = |name: &str| std::env::var(format!("GENNAKER_TEST_JENKINS_{name}")).ok();
    let (Some(url), Some(user), Some(token_file)) =
        (var("URL"), var("USERNAME"), var("TOKEN_FILE"))
    else {
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "CI=true but GENNAKER_TEST_JENKINS_* is not set: start end2end/services/jenkins.sh first"
        );
        eprintln!("GENNAKER_TEST_JENKINS_* is not set: this test needs the test Jenkins");
        return;
    };
    let token = std::fs::read_to_string(&token_file)
        .unwrap_or_else(|e| panic!("cannot read {token_file}: {e}"))
        .trim()
        .to_string();
    let master = gennaker::config::JenkinsMaster {
        name: "ci".into(),
        address: url,
        credentials: Some((user, token)),
        ca_pem: None,
    };
    let server = start_setup(
        Setup {
            jenkins_masters: vec![master.clone()],
            triggers: TriggersConfig {
                jenkins_poll_interval: Duration::from_secs(1),
                ..TriggersConfig::default()
            },
            ..Setup::default()
        },
        None,
    )
    .await;
    let addr = server.addr;
    create_application(addr, "ci").await;
    let pipeline = create_pipeline(
        addr,
        json!({"application": "ci", "name": "After the build",
            "triggers": [{"type": "jenkins", "enabled": true, "master": "ci", "job": "build-web",
                "buildResults": ["SUCCESS", "UNSTABLE"], "propertyFile": "build.properties"}],
            "stages": [wait_stage()]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jenkins = gennaker::jenkins::JenkinsMasters::new(&[master]).expect("a Jenkins client");
    let build = |version: &str, result: &str| {
        let parameters = vec![
            ("VERSION".to_string(), version.to_string()),
            ("RESULT".to_string(), result.to_string()),
        ];
        let jenkins = &jenkins;
        async move {
            jenkins
                .start("ci", "build-web", &parameters, "test-key")
                .await
                .expect("the build is queued")
        }
    };
    build("3.1.4", "SUCCESS").await;
    let found = wait_for_executions(addr, &pipeline, 1, Duration::from_secs(20)).await;
    let trigger = &found[0]["trigger"];
    assert_eq!(trigger["type"], "jenkins");
    assert_eq!(trigger["buildInfo"]["result"], "SUCCESS");
    assert_eq!(trigger["properties"]["imageTag"], "3.1.4", "{trigger}");
    assert_eq!(trigger["buildNumber"], trigger["buildInfo"]["number"]);
    // A failed build is not a chosen result.
    build("3.1.5", "FAILURE").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(executions(addr, &pipeline).await.len(), 1);
}

fn secrets(pairs: &[(&str, &str)]) -> Secrets {
    Secrets::from_pairs(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())))
}

#[tokio::test]
async fn webhooks_start_pipelines_when_constraints_hold_and_the_secret_is_right() {
    let server = start_setup(
        Setup {
            secrets: secrets(&[("ci-hook", "s3cret-value")]),
            ..Setup::default()
        },
        None,
    )
    .await;
    let addr = server.addr;
    create_application(addr, "hooks").await;
    let source = unique("builds");
    let pipeline = create_pipeline(
        addr,
        json!({"application": "hooks", "name": "From CI",
            "parameterConfig": [{"name": "version", "default": "0"}],
            "triggers": [{"type": "webhook", "enabled": true, "source": source,
                "payloadConstraints": {"env": "prod|production"}, "secretName": "ci-hook"}],
            "stages": [wait_stage()]}),
    )
    .await;
    // A secret written into the pipeline is refused.
    let (status, body) = call(
        addr,
        "POST",
        "/api/v1/pipelines",
        Some(json!({"application": "hooks", "name": "Leaky",
            "triggers": [{"type": "webhook", "source": "x", "secret": "plain"}], "stages": []})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["fields"][0]["field"], "triggers[0].secret");

    let path = format!("/webhooks/webhook/{source}");
    let payload =
        json!({"env": "prod", "parameters": {"version": "1.2.3", "other": "x"}}).to_string();
    let unsigned = post(addr, &path, &[], &payload).await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.body);
    let wrong = post(addr, &path, &[("Authorization", "Bearer nope")], &payload).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let auth = [("Authorization", "Bearer s3cret-value")];
    let unknown = post(addr, "/webhooks/webhook/nobody-listens", &auth, &payload).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let bad = post(addr, &path, &auth, "{not json").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let dev = post(addr, &path, &auth, &json!({"env": "dev"}).to_string()).await;
    assert_eq!(dev.status, 200, "{}", dev.body);
    assert_eq!(dev.json()["started"], json!([]));
    assert!(
        dev.json()["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("env is \"dev\"")),
        "{}",
        dev.body
    );
    assert!(
        executions(addr, &pipeline).await.is_empty(),
        "nothing started yet"
    );

    let ok = post(addr, &path, &auth, &payload).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let id = ok.json()["started"][0]["executionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let execution = finished(addr, &id).await;
    assert_eq!(execution["status"], "SUCCEEDED");
    assert_eq!(execution["trigger"]["type"], "webhook");
    assert_eq!(execution["trigger"]["payload"]["env"], "prod");
    assert_eq!(execution["trigger"]["parameters"]["version"], "1.2.3");
    assert_eq!(execution["trigger"]["parameters"].get("other"), None);
    assert_eq!(executions(addr, &pipeline).await.len(), 1);
    assert!(
        !execution.to_string().contains("s3cret-value"),
        "the secret is never shown"
    );
}

fn github_signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn signed_git_pushes_start_pipelines_for_their_branches() {
    let server = start_setup(
        Setup {
            secrets: secrets(&[("github", "gh-secret"), ("gitlab", "gl-token")]),
            ..Setup::default()
        },
        None,
    )
    .await;
    let addr = server.addr;
    create_application(addr, "repo").await;
    let project = unique("acme");
    let github = create_pipeline(
        addr,
        json!({"application": "repo", "name": "On GitHub push",
            "expectedArtifacts": [{"id": "manifest", "matchArtifact": {"type": "github/file", "name": "k8s/web.yaml"}}],
            "triggers": [{"type": "git", "enabled": true, "source": "github", "project": project,
                "slug": "web", "branch": "main|release-.*", "secretName": "github", "expectedArtifactIds": ["manifest"]}],
            "stages": [wait_stage()]}),
    )
    .await;
    let gitlab = create_pipeline(
        addr,
        json!({"application": "repo", "name": "On GitLab push",
            "triggers": [{"type": "git", "enabled": true, "source": "gitlab", "project": project,
                "slug": "api", "secretName": "gitlab"}],
            "stages": [wait_stage()]}),
    )
    .await;
    let push = |branch: &str| {
        json!({"ref": format!("refs/heads/{branch}"), "after": "0123456789abcdef",
            "repository": {"name": "web", "owner": {"login": project}, "full_name": format!("{project}/web"),
                "contents_url": format!("https://api.github.com/repos/{project}/web/contents/{{+path}}")},
            "commits": [{"added": ["k8s/web.yaml"], "modified": ["README.md"]}]})
        .to_string()
    };
    let main = push("main");
    let signed = github_signature("gh-secret", &main);
    let headers = |signature: &str| -> Vec<(&'static str, String)> {
        vec![
            ("X-GitHub-Event", "push".into()),
            ("X-Hub-Signature-256", signature.to_string()),
        ]
    };
    let send = |body: String, headers: Vec<(&'static str, String)>| async move {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        post(addr, "/webhooks/git/github", &headers, &body).await
    };
    let forged = send(main.clone(), headers(&github_signature("guess", &main))).await;
    assert_eq!(forged.status, 401, "{}", forged.body);
    let unsigned = send(main.clone(), vec![("X-GitHub-Event", "push".into())]).await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.body);
    let feature = push("feature/x");
    let other = send(
        feature.clone(),
        headers(&github_signature("gh-secret", &feature)),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(other.json()["started"], json!([]));
    assert!(executions(addr, &github).await.is_empty());

    let ok = send(main.clone(), headers(&signed)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let found = wait_for_executions(addr, &github, 1, Duration::from_secs(10)).await;
    let trigger = &found[0]["trigger"];
    assert_eq!(trigger["type"], "git");
    assert_eq!(trigger["source"], "github");
    assert_eq!(trigger["branch"], "main");
    assert_eq!(trigger["hash"], "0123456789abcdef");
    assert_eq!(trigger["project"], project.as_str());
    // The files the push changed are its artifacts, and the expected one is bound.
    assert_eq!(
        trigger["artifacts"].as_array().map(Vec::len),
        Some(2),
        "{trigger}"
    );
    assert_eq!(
        trigger["resolvedExpectedArtifacts"][0]["boundArtifact"]["reference"],
        format!("https://api.github.com/repos/{project}/web/contents/k8s/web.yaml")
    );
    assert_eq!(
        trigger["resolvedExpectedArtifacts"][0]["boundArtifact"]["version"],
        "0123456789abcdef"
    );
    assert!(!found[0].to_string().contains("gh-secret"));

    // GitLab: its token header.
    let body = json!({"ref": "refs/heads/dev", "checkout_sha": "feedface",
        "project": {"path_with_namespace": format!("{project}/api")}})
    .to_string();
    let wrong = post(
        addr,
        "/webhooks/git/gitlab",
        &[("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "nope")],
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let ok = post(
        addr,
        "/webhooks/git/gitlab",
        &[
            ("X-Gitlab-Event", "Push Hook"),
            ("X-Gitlab-Token", "gl-token"),
        ],
        &body,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let found = wait_for_executions(addr, &gitlab, 1, Duration::from_secs(10)).await;
    assert_eq!(found[0]["trigger"]["hash"], "feedface");
    let unknown_host = post(addr, "/webhooks/git/sourcehut", &[], "{}").await;
    assert_eq!(unknown_host.status, 404, "{}", unknown_host.body);
}

#[tokio::test]
async fn a_pipeline_trigger_starts_when_the_watched_pipeline_ends_as_chosen() {
    let server = start_setup(Setup::default(), None).await;
    let addr = server.addr;
    create_application(addr, "chain").await;
    let upstream = create_pipeline(
        addr,
        json!({"application": "chain", "name": "Build", "stages": [
            support::pipelines::wait_stage("1", "Wait", 0, &[])]}),
    )
    .await;
    let downstream = create_pipeline(
        addr,
        json!({"application": "chain", "name": "Deploy after build",
            "triggers": [{"type": "pipeline", "enabled": true, "application": "chain",
                "pipeline": upstream, "status": ["successful"]}],
            "stages": [wait_stage()]}),
    )
    .await;
    let parent = start_execution(addr, &upstream, json!({})).await;
    let found = wait_for_executions(addr, &downstream, 1, Duration::from_secs(20)).await;
    let trigger = &found[0]["trigger"];
    assert_eq!(trigger["type"], "pipeline");
    assert_eq!(trigger["parentExecution"]["id"], parent.as_str());
    assert_eq!(trigger["parentExecution"]["status"], "SUCCEEDED");
    assert_eq!(trigger["parentPipelineId"], upstream.as_str());
    // Expressions read the parent.
    let id = found[0]["id"].as_str().unwrap_or_default().to_string();
    let (status, value) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{id}/evaluate"),
        Some(json!({"expression": "${trigger.parentExecution.name}"})),
    )
    .await;
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["result"], "Build", "{value}");

    // A canceled run is not a chosen ending.
    let (status, body) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{upstream}?version=1"),
        Some(
            json!({"id": upstream, "application": "chain", "name": "Build", "stages": [
            support::pipelines::wait_stage("1", "Wait", 600, &[])]}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let long = start_execution(addr, &upstream, json!({})).await;
    let (status, body) = call(
        addr,
        "POST",
        &format!("/api/v1/executions/{long}/cancel"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let canceled = finished(addr, &long).await;
    assert_eq!(canceled["status"], "CANCELED");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(executions(addr, &downstream).await.len(), 1);

    // A pipeline cannot watch itself.
    let (_, stored) = call(
        addr,
        "GET",
        &format!("/api/v1/pipelines/{downstream}"),
        None,
    )
    .await;
    let mut looped = stored["config"].clone();
    looped["triggers"][0]["pipeline"] = json!(downstream);
    let (status, body) = call(
        addr,
        "PUT",
        &format!(
            "/api/v1/pipelines/{downstream}?version={}",
            stored["version"]
        ),
        Some(looped),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["fields"][0]["field"], "triggers[0].pipeline");
}
