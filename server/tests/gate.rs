//! Spinnaker's Gate API, driven by the real `spin` CLI (v1.30.0, built from the Go module proxy
//! by end2end/services/spin.sh): applications saved, read, listed and deleted; pipelines saved
//! (twice: the second save updates), read, listed, started with a parameter, their executions
//! listed, read and cancelled, and deleted — with Gennaker open, and signed in as `spin` signs
//! in: Basic, spin's LDAP form (`POST /login`, a session cookie) and an API token. Then what
//! spin does not show: every answer is JSON, and what is wrong says so.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use support::cluster::unique;
use support::request;

const PASSWORD: &str = "spin's own 42";

/// The spin binary: `GENNAKER_TEST_SPIN`, or where spin.sh builds it. Missing under CI is a
/// failure; elsewhere the test says how to build it and passes.
fn spin_binary() -> Option<PathBuf> {
    let path = std::env::var_os("GENNAKER_TEST_SPIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/gennaker/bin/spin-v1.30.0/spin"))
        })?;
    if path.is_file() {
        return Some(path);
    }
    let hint = format!(
        "no spin CLI at {}: run end2end/services/spin.sh build",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{hint}");
    }
    eprintln!("skipped: {hint}");
    None
}

/// spin with one configuration file (its endpoint and sign-in) and any extra flags.
struct Spin {
    binary: PathBuf,
    home: tempfile::TempDir,
    flags: Vec<String>,
}

struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("spin printed no JSON ({e}): {}{}", self.stdout, self.stderr)
        })
    }
}

impl Spin {
    fn new(binary: &Path, endpoint: &str, auth: Option<Value>, flags: &[String]) -> Spin {
        let home = tempfile::tempdir().expect("a temporary directory");
        let mut config = json!({ "gate": { "endpoint": endpoint } });
        if let Some(auth) = auth {
            config["auth"] = auth;
        }
        // JSON is YAML: spin reads it as its ~/.spin/config.
        std::fs::write(home.path().join("config"), config.to_string()).expect("the config");
        Spin {
            binary: binary.to_path_buf(),
            home,
            flags: flags.to_vec(),
        }
    }

    async fn run(&self, args: &[&str]) -> Ran {
        let config = self.home.path().join("config");
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .arg("--config")
            .arg(&config)
            .args(&self.flags)
            .args(args)
            .env("HOME", self.home.path())
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(90), command.output())
            .await
            .unwrap_or_else(|_| panic!("spin {args:?} did not end in 90 s"))
            .expect("spin runs");
        Ran {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn ok(&self, args: &[&str]) -> Ran {
        let ran = self.run(args).await;
        assert!(
            ran.ok,
            "spin {args:?} failed:\n{}\n{}",
            ran.stdout, ran.stderr
        );
        ran
    }
}

/// Everything the issue lists spin doing, for one application.
async fn exercise(spin: &Spin, dir: &Path) {
    let app = unique("spin");
    spin.ok(&[
        "application",
        "save",
        "--application-name",
        &app,
        "--owner-email",
        "team@example.com",
        "--cloud-providers",
        "kubernetes",
    ])
    .await;
    let got = spin.ok(&["application", "get", &app]).await.json();
    assert_eq!(got["name"], app.as_str(), "{got:#}");
    assert_eq!(got["email"], "team@example.com");
    assert_eq!(got["cloudProviders"], "kubernetes");
    // A save of a file with attributes Gennaker does not use keeps them.
    let file = dir.join(format!("{app}.json"));
    let attributes = json!({
        "name": app, "email": "owners@example.com", "cloudProviders": "kubernetes",
        "trafficGuards": [{"account": "prod", "location": "web", "enabled": true}],
    });
    std::fs::write(&file, attributes.to_string()).expect("the file");
    spin.ok(&["application", "save", "--file", &file.to_string_lossy()])
        .await;
    let got = spin.ok(&["application", "get", &app]).await.json();
    assert_eq!(got["email"], "owners@example.com", "saved again: {got:#}");
    assert_eq!(got["trafficGuards"], attributes["trafficGuards"]);
    let listed = spin.ok(&["application", "list"]).await.json();
    assert!(
        listed
            .as_array()
            .is_some_and(|apps| apps.iter().any(|a| a["name"] == app.as_str())),
        "{listed:#}"
    );

    let pipeline = json!({
        "application": app, "name": "release", "description": "first",
        "keepWaitingPipelines": false, "limitConcurrent": true,
        "parameterConfig": [{"name": "env", "default": "staging", "required": false}],
        "stages": [{"type": "wait", "refId": "1", "name": "Soak", "waitTime": 600, "requisiteStageRefIds": []}],
        "triggers": [], "spelEvaluator": "v4", "x-custom": {"kept": true},
    });
    let file = dir.join(format!("{app}-pipeline.json"));
    std::fs::write(&file, pipeline.to_string()).expect("the file");
    let path = file.to_string_lossy().into_owned();
    spin.ok(&["pipeline", "save", "--file", &path]).await;
    let mut changed = pipeline.clone();
    changed["description"] = json!("second");
    std::fs::write(&file, changed.to_string()).expect("the file");
    spin.ok(&["pipeline", "save", "--file", &path]).await;
    let got = spin
        .ok(&[
            "pipeline",
            "get",
            "--application",
            &app,
            "--name",
            "release",
        ])
        .await
        .json();
    assert_eq!(
        got["description"], "second",
        "the second save updated: {got:#}"
    );
    assert_eq!(got["x-custom"], json!({"kept": true}), "{got:#}");
    let id = got["id"].as_str().expect("an id").to_string();
    let listed = spin
        .ok(&["pipeline", "list", "--application", &app])
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed:#}");

    spin.ok(&[
        "pipeline",
        "execute",
        "--application",
        &app,
        "--name",
        "release",
        "--parameter",
        "env=prod",
    ])
    .await;
    let executions = spin
        .ok(&["pipeline", "execution", "list", "--pipeline-id", &id])
        .await
        .json();
    let execution = &executions[0];
    assert_eq!(execution["pipelineConfigId"], id.as_str(), "{executions:#}");
    assert_eq!(execution["trigger"]["parameters"]["env"], "prod");
    let execution_id = execution["id"].as_str().expect("an id").to_string();
    let running = spin
        .ok(&[
            "pipeline",
            "execution",
            "list",
            "--pipeline-id",
            &id,
            "--running",
        ])
        .await
        .json();
    assert_eq!(running.as_array().map(Vec::len), Some(1), "{running:#}");
    spin.ok(&["pipeline", "execution", "cancel", &execution_id])
        .await;
    let mut status = Value::Null;
    for _ in 0..100 {
        let got = spin
            .ok(&["pipeline", "execution", "get", &execution_id])
            .await
            .json();
        status = got[0]["status"].clone();
        if status == "CANCELED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "CANCELED");
    let canceled = spin
        .ok(&[
            "pipeline",
            "execution",
            "list",
            "--pipeline-id",
            &id,
            "--canceled",
        ])
        .await
        .json();
    assert_eq!(canceled[0]["id"], execution_id.as_str(), "{canceled:#}");

    spin.ok(&[
        "pipeline",
        "delete",
        "--application",
        &app,
        "--name",
        "release",
    ])
    .await;
    let listed = spin
        .ok(&["pipeline", "list", "--application", &app])
        .await
        .json();
    assert_eq!(listed, json!([]));
    spin.ok(&["application", "delete", &app]).await;
    let gone = spin.run(&["application", "get", &app]).await;
    assert!(!gone.ok, "deleted: {}", gone.stdout);
    assert!(gone.stderr.contains("not found"), "{}", gone.stderr);
}

#[tokio::test]
async fn spin_works_against_an_open_gennaker() {
    let Some(binary) = spin_binary() else { return };
    let server = support::Setup::default().start().await;
    let endpoint = format!("http://{}/gate", server.addr);
    let dir = tempfile::tempdir().expect("a directory");
    exercise(&Spin::new(&binary, &endpoint, None, &[]), dir.path()).await;

    // Artifacts given with a start are bound to the pipeline's expected artifacts; without
    // one it expects, the start is refused naming it.
    let spin = Spin::new(&binary, &endpoint, None, &[]);
    let app = unique("arts");
    spin.ok(&[
        "application",
        "save",
        "--application-name",
        &app,
        "--owner-email",
        "team@example.com",
        "--cloud-providers",
        "kubernetes",
    ])
    .await;
    let pipeline = json!({
        "application": app, "name": "ship",
        "expectedArtifacts": [{"id": "img", "displayName": "web-image",
            "matchArtifact": {"type": "docker/image", "name": "registry.local/web"},
            "useDefaultArtifact": false, "usePriorArtifact": false}],
        "stages": [{"type": "wait", "refId": "1", "name": "Wait", "waitTime": 600,
            "requisiteStageRefIds": []}],
    });
    let file = dir.path().join("ship.json");
    std::fs::write(&file, pipeline.to_string()).expect("the file");
    spin.ok(&["pipeline", "save", "--file", &file.to_string_lossy()])
        .await;
    let refused = spin
        .run(&[
            "pipeline",
            "execute",
            "--application",
            &app,
            "--name",
            "ship",
        ])
        .await;
    assert!(
        !refused.ok,
        "started without its artifact: {}",
        refused.stdout
    );
    let artifacts = dir.path().join("artifacts.json");
    let image = json!({"type": "docker/image", "name": "registry.local/web", "version": "1.4",
                       "reference": "registry.local/web:1.4"});
    std::fs::write(&artifacts, json!({"artifacts": [image]}).to_string()).expect("the file");
    spin.ok(&[
        "pipeline",
        "execute",
        "--application",
        &app,
        "--name",
        "ship",
        "--artifacts-file",
        &artifacts.to_string_lossy(),
    ])
    .await;
    let id = spin
        .ok(&["pipeline", "get", "--application", &app, "--name", "ship"])
        .await
        .json()["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let started = spin
        .ok(&["pipeline", "execution", "list", "--pipeline-id", &id])
        .await
        .json();
    let trigger = &started[0]["trigger"];
    assert_eq!(
        trigger["resolvedExpectedArtifacts"][0]["boundArtifact"], image,
        "{trigger:#}"
    );
    assert_eq!(trigger["artifacts"], json!([image]));
    let execution = started[0]["id"].as_str().expect("an id").to_string();
    spin.ok(&["pipeline", "execution", "cancel", &execution])
        .await;

    // What spin does not show: answers are JSON, an unknown route too, and a wrong job says
    // what runs.
    let addr = server.addr;
    let version = request(addr, "GET", "/gate/version", &[], None).await;
    assert_eq!(version.status, 200);
    assert_eq!(version.header("content-type"), Some("application/json"));
    let missing = request(addr, "GET", "/gate/nothing", &[], None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/json"));
    let job = request(
        addr,
        "POST",
        "/gate/tasks",
        &[("Content-Type", "application/json")],
        Some(r#"{"job": [{"type": "deployManifest"}], "application": "x"}"#),
    )
    .await;
    assert_eq!(job.status, 400, "{}", job.body);
    assert!(job.body.contains("createApplication"), "{}", job.body);
    // A job that fails is a TERMINAL task whose step says why, as Orca's.
    let bad = request(
        addr,
        "POST",
        "/gate/tasks",
        &[("Content-Type", "application/json")],
        Some(r#"{"job": [{"type": "createApplication", "application": {"name": "x", "email": "not an address"}}], "application": "x"}"#),
    )
    .await;
    assert_eq!(bad.status, 200, "{}", bad.body);
    let reference = bad.json()["ref"].as_str().expect("a ref").to_string();
    let task = request(addr, "GET", &format!("/gate{reference}"), &[], None).await;
    let task = task.json();
    assert_eq!(task["status"], "TERMINAL", "{task:#}");
    assert!(
        task["steps"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("email")),
        "{task:#}"
    );
    server.stop().await;
}

/// A server whose store has the user `ada`.
async fn start_signed_in() -> support::TestServer {
    let data = tempfile::tempdir().expect("a temporary directory");
    let backend = gennaker::store::open(&gennaker::config::StoreConfig::Embedded {
        dir: data.path().join("data/store"),
    })
    .await
    .expect("the store");
    gennaker::auth::users::Users::new(backend)
        .add("ada", PASSWORD, &["dev".to_string()], "test")
        .await
        .expect("the user is added");
    support::start_setup(support::Setup::default(), Some(data)).await
}

#[tokio::test]
async fn spin_signs_in_as_spin_does() {
    let Some(binary) = spin_binary() else { return };
    let server = start_signed_in().await;
    let addr = server.addr;
    let endpoint = format!("http://{addr}/gate");
    let dir = tempfile::tempdir().expect("a directory");

    // Nobody, and a wrong password, are refused.
    let nobody = Spin::new(&binary, &endpoint, None, &[]);
    assert!(!nobody.run(&["application", "list"]).await.ok);
    let wrong = Spin::new(
        &binary,
        &endpoint,
        Some(json!({"enabled": true, "basic": {"username": "ada", "password": "wrong"}})),
        &[],
    );
    assert!(!wrong.run(&["application", "list"]).await.ok);

    let basic = json!({"enabled": true, "basic": {"username": "ada", "password": PASSWORD}});
    exercise(&Spin::new(&binary, &endpoint, Some(basic), &[]), dir.path()).await;
    let ldap = json!({"enabled": true, "ldap": {"username": "ada", "password": PASSWORD}});
    exercise(&Spin::new(&binary, &endpoint, Some(ldap), &[]), dir.path()).await;

    // An API token, as a header on every request.
    let form = format!("user=ada&password={}", urlencoding::encode(PASSWORD));
    let signed_in = request(
        addr,
        "POST",
        "/auth/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&form),
    )
    .await;
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session")
        .to_string();
    let made = request(
        addr,
        "POST",
        "/api/v1/tokens",
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        Some(r#"{"name":"spin","days":1}"#),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let secret = made.json()["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let header = vec![
        "--default-headers".to_string(),
        format!("Authorization=Bearer {secret}"),
    ];
    exercise(&Spin::new(&binary, &endpoint, None, &header), dir.path()).await;

    // The audit log has spin's changes, as ada's.
    let audit = request(
        addr,
        "GET",
        "/api/v1/audit?user=ada&action=applicationCreated",
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(
        audit.json().as_array().map(Vec::len),
        Some(3),
        "one application per way of signing in: {}",
        audit.body
    );
    server.stop().await;
}
