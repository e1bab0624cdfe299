//! The test registry (end2end/services/registry.sh): its account, and pushes with skopeo.

use gennaker::config::DockerRegistryAccount;

fn var(name: &str) -> Option<String> {
    std::env::var(format!("GENNAKER_TEST_REGISTRY_{name}")).ok()
}

/// The test registry's account ("test"), or `None` when it is not running and the run is
/// not CI.
pub fn account() -> Option<DockerRegistryAccount> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(address), Some(username), Some(password), Some(ca)) = (
        var("ADDRESS"),
        var("USERNAME"),
        var("PASSWORD"),
        var("CA_FILE"),
    ) else {
        assert!(
            !in_ci,
            "CI=true but GENNAKER_TEST_REGISTRY_* is not set: start end2end/services/registry.sh first"
        );
        eprintln!(
            "GENNAKER_TEST_REGISTRY_* is not set: this test needs the test registry (make test starts it)"
        );
        return None;
    };
    let ca_pem = std::fs::read(&ca).unwrap_or_else(|e| panic!("cannot read {ca}: {e}"));
    gennaker::install_crypto_provider();
    Some(DockerRegistryAccount {
        name: "test".into(),
        address,
        plain_http: false,
        credentials: Some((username, password)),
        ca_pem: Some(ca_pem),
        repositories: Vec::new(),
    })
}

/// The port the registry sends its push notifications to.
pub fn notify_port() -> u16 {
    var("NOTIFY_PORT")
        .and_then(|p| p.parse().ok())
        .expect("GENNAKER_TEST_REGISTRY_NOTIFY_PORT is set with the registry's settings")
}

/// Pushes `repository:tag` (another build of it with `build`) with skopeo; returns its digest.
pub async fn push(repository: &str, tag: &str, build: &str) -> String {
    let script = var("SCRIPT").expect("GENNAKER_TEST_REGISTRY_SCRIPT is set");
    let output = tokio::process::Command::new(&script)
        .args(["push", repository, tag, build])
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    assert!(
        output.status.success(),
        "pushing {repository}:{tag} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}
