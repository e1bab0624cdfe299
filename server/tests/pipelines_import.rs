//! Importing what Spinnaker users bring (`tests/fixtures/spinnaker/`, in Deck's JSON): an
//! "Edit as JSON" copy gets its application and a name, a `pipelineConfigs` backup imports
//! each pipeline, Spinnaker's account names are mapped to configured ones or kept and marked,
//! Git triggers with an inline secret or none are kept and marked and do not fire, Deck's
//! Quartz hourly default parses; a pipeline with marks is refused at start naming them, and
//! exports exactly as it came.

mod support;

use serde_json::{Value, json};
use support::cluster::{call, create_application, kubernetes_config, test_cluster, unique};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/spinnaker/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `POST /api/v1/pipelines/import?{query}` with `body`.
async fn import(addr: std::net::SocketAddr, query: &str, body: Value) -> (u16, Value) {
    call(
        addr,
        "POST",
        &format!("/api/v1/pipelines/import?{query}"),
        Some(body),
    )
    .await
}

fn fields(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["field"].as_str().map(str::to_string))
        .collect()
}

/// The export of `id` equals `original`, but for what the import was told to change.
fn same_but(mut exported: Value, original: &Value, changed: &[&str]) {
    let (Some(exported), Some(original)) = (exported.as_object_mut(), original.as_object()) else {
        panic!("not objects");
    };
    for (key, value) in original {
        if changed.contains(&key.as_str()) {
            continue;
        }
        assert_eq!(
            exported.get(key),
            Some(value),
            "field {key} changed on import"
        );
    }
}

#[tokio::test]
async fn spinnaker_exports_import_whole_and_are_marked_where_they_cannot_run() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&kubeconfig))
        .start()
        .await;
    let addr = server.addr;
    let app = unique("imp");
    create_application(addr, &app).await;
    let import = |query: String, body: Value| async move { import(addr, &query, body).await };

    // Deck's "Edit as JSON" copy: no application, no name.
    let copy = fixture("edit-as-json.json");
    let (status, report) = import(format!("application={app}"), copy.clone()).await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert_eq!(imported["stored"], true);
    assert_eq!(imported["name"], "Imported pipeline");
    assert_eq!(fields(&imported["changes"]), ["application", "name"]);
    assert!(fields(&imported["problems"]).is_empty(), "{imported:#}");
    let id = imported["id"].as_str().expect("an id");
    let (_, exported) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    same_but(exported, &copy, &[]);

    // A backup of another application, whose account is Spinnaker's GKE name: a dry run
    // names the account, stores nothing.
    let backup = fixture("pipeline-configs-backup.json");
    let (status, dry) = import(format!("application={app}&dryRun=true"), backup.clone()).await;
    assert_eq!(status, 200, "{dry:#}");
    assert_eq!(
        dry["unknownAccounts"],
        json!(["gke_acme-prod_europe-west1-b_apps"])
    );
    assert_eq!(dry["knownAccounts"], json!(["local"]));
    assert!(
        dry["pipelines"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["stored"] == false))
    );
    let (_, listed) = call(
        addr,
        "GET",
        &format!("/api/v1/applications/{app}/pipelines"),
        None,
    )
    .await;
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "the dry run stored nothing"
    );

    // Imported without a mapping: kept, and marked where the account is named.
    let (status, kept) = import(format!("application={app}"), backup.clone()).await;
    assert_eq!(status, 200, "{kept:#}");
    let deploy = &kept["pipelines"][0];
    assert_eq!(deploy["stored"], true);
    assert_eq!(
        fields(&deploy["problems"]),
        ["stages[0].account"],
        "{deploy:#}"
    );
    let message = deploy["problems"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("the accounts are: local."), "{message}");
    let hourly = &kept["pipelines"][1];
    assert!(
        fields(&hourly["problems"]).is_empty(),
        "Quartz's 0/1 parses: {hourly:#}"
    );
    let deploy_id = deploy["id"].as_str().expect("an id");
    assert_eq!(deploy_id, backup[0]["id"], "its id is kept");
    let (_, audit) = call(
        addr,
        "GET",
        &format!("/api/v1/audit?application={app}&action=pipelineCreated"),
        None,
    )
    .await;
    let audited: Vec<&str> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["after"]["id"].as_str())
        .collect();
    let stored = kept["pipelines"].as_array().into_iter().flatten();
    for imported in stored.filter(|p| p["stored"] == true) {
        assert!(
            imported["id"]
                .as_str()
                .is_some_and(|id| audited.contains(&id)),
            "each imported pipeline is audited as created: {imported:#} {audit:#}"
        );
    }
    let (_, exported) = call(
        addr,
        "GET",
        &format!("/api/v1/pipelines/{deploy_id}/export"),
        None,
    )
    .await;
    same_but(exported, &backup[0], &["application"]);
    // The stored pipeline carries its marks; a start is refused naming them.
    let (_, stored) = call(addr, "GET", &format!("/api/v1/pipelines/{deploy_id}"), None).await;
    assert_eq!(fields(&stored["problems"]), ["stages[0].account"]);
    let (status, refused) = call(
        addr,
        "POST",
        &format!("/api/v1/pipelines/{deploy_id}/executions"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "{refused:#}");
    assert!(
        refused.to_string().contains("stages[0].account"),
        "{refused:#}"
    );

    // The same backup again, mapped: new ids (the old ones are taken), names marked as
    // imported, the account renamed, nothing to fix.
    let (status, mapped) = import(
        format!("application={app}&accounts=gke_acme-prod_europe-west1-b_apps:local"),
        backup.clone(),
    )
    .await;
    assert_eq!(status, 200, "{mapped:#}");
    let deploy = &mapped["pipelines"][0];
    assert_ne!(deploy["id"], backup[0]["id"]);
    assert_eq!(deploy["name"], "Deploy to staging (imported)");
    assert!(fields(&deploy["problems"]).is_empty(), "{deploy:#}");
    assert_eq!(
        fields(&deploy["changes"]),
        ["application", "stages[0].account", "id", "name"]
    );
    let (_, exported) = call(
        addr,
        "GET",
        &format!(
            "/api/v1/pipelines/{}/export",
            deploy["id"].as_str().unwrap_or_default()
        ),
        None,
    )
    .await;
    assert_eq!(exported["stages"][0]["account"], "local");

    // Git triggers with the secret inline, and with none: kept whole, each marked.
    let git = fixture("git-trigger-inline-secret.json");
    let (status, report) = import(format!("application={app}"), git.clone()).await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert_eq!(
        fields(&imported["problems"]),
        [
            "triggers[0].secret",
            "triggers[0].secretName",
            "triggers[1].secretName"
        ],
        "{imported:#}"
    );
    let git_id = imported["id"].as_str().unwrap_or_default();
    let (_, exported) = call(
        addr,
        "GET",
        &format!("/api/v1/pipelines/{git_id}/export"),
        None,
    )
    .await;
    same_but(exported, &git, &["application"]);
    // Its triggers do not fire: a push to main starts nothing.
    let push = json!({"ref": "refs/heads/main", "after": "0123456789abcdef0123456789abcdef01234567",
        "repository": {"name": "storefront", "full_name": "acme/storefront", "owner": {"name": "acme", "login": "acme"}}});
    let response = support::request(
        addr,
        "POST",
        "/webhooks/git/github",
        &[
            ("X-GitHub-Event", "push"),
            ("content-type", "application/json"),
        ],
        Some(&push.to_string()),
    )
    .await;
    // No trigger is left to look at it (a kept trigger would be tried and skipped).
    assert!(
        response.body.contains("No enabled"),
        "{}: {}",
        response.status,
        response.body
    );
    let (_, executions) = call(
        addr,
        "GET",
        &format!("/api/v1/executions?pipeline={git_id}"),
        None,
    )
    .await;
    assert_eq!(
        executions,
        json!([]),
        "a trigger with problems of its own does not fire"
    );

    // What is not a pipeline at all is refused by place; an unknown query field too.
    let (status, report) = import(
        format!("application={app}"),
        json!([{"name": "x", "stages": 5}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(report["pipelines"][0]["stored"], false);
    assert!(
        report["pipelines"][0]["refused"]
            .as_str()
            .is_some_and(|r| r.starts_with("it is not a pipeline"))
    );
    let (status, _) = import(String::new(), copy).await;
    assert_eq!(status, 400, "the application is required");
    let (status, body) = import(format!("application={app}&accounts=nonsense"), json!({})).await;
    assert_eq!(status, 400, "{body:#}");
}

/// Deck's export of a pipeline deploying from artifacts (a git/repo default, an embedded
/// ConfigMap, an image bound from a Docker trigger) imports with nothing marked on its stages,
/// and exports exactly as it came; turning on traffic management, which Gennaker does not run
/// yet, marks the stage instead.
#[tokio::test]
async fn deploy_manifest_from_artifacts_imports_unmarked_and_round_trips() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&kubeconfig))
        .start()
        .await;
    let addr = server.addr;
    let app = unique("art");
    create_application(addr, &app).await;
    let original = fixture("deploy-manifest-from-artifacts.json");
    let (status, report) = import(addr, &format!("application={app}"), original.clone()).await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert_eq!(imported["stored"], true, "{imported:#}");
    let marked = fields(&imported["problems"]);
    assert!(
        marked.iter().all(|f| f.starts_with("triggers[0]")),
        "only the Docker trigger's registry account, which is not configured here: {imported:#}"
    );
    let id = imported["id"].as_str().expect("an id");
    let (_, exported) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    same_but(exported, &original, &["application"]);

    let mut traffic = original.clone();
    traffic["id"] = json!("6e1b9e7f-0000-4000-8000-000000000001");
    traffic["name"] = json!("Deploy with traffic management");
    traffic["stages"][1]["trafficManagement"]["enabled"] = json!(true);
    let (status, report) = import(addr, &format!("application={app}"), traffic).await;
    assert_eq!(status, 200, "{report:#}");
    let problems = &report["pipelines"][0]["problems"];
    assert!(
        fields(problems).contains(&"stages[1].trafficManagement.options.services".to_string()),
        "traffic management without Services is marked: {problems:#}"
    );

    // With its Services and a strategy, as Deck writes it, it imports unmarked.
    let mut red_black = original.clone();
    red_black["id"] = json!("6e1b9e7f-0000-4000-8000-000000000002");
    red_black["name"] = json!("Deploy Red/Black");
    red_black["stages"][1]["trafficManagement"] = json!({"enabled": true, "options": {
        "enableTraffic": true, "namespace": "webshop", "services": ["service web"], "strategy": "redblack"}});
    let (status, report) = import(addr, &format!("application={app}"), red_black.clone()).await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert!(
        fields(&imported["problems"])
            .iter()
            .all(|f| f.starts_with("triggers[0]")),
        "{imported:#}"
    );
    let id = imported["id"].as_str().expect("an id");
    let (_, exported) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    same_but(exported, &red_black, &["application"]);
}

#[tokio::test]
async fn a_bake_manifest_pipeline_imports_unmarked_and_round_trips() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&kubeconfig))
        .start()
        .await;
    let addr = server.addr;
    let app = unique("bak");
    create_application(addr, &app).await;
    let original = fixture("bake-manifest-helm.json");
    let (status, report) = import(addr, &format!("application={app}"), original.clone()).await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert_eq!(
        imported["problems"],
        json!([]),
        "it runs as it came: {imported:#}"
    );
    let id = imported["id"].as_str().expect("an id");
    let (_, exported) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    same_but(exported, &original, &["application"]);

    // A chart from a Helm repository is kept and marked.
    let mut from_repository = original.clone();
    from_repository["id"] = json!("3e9a1b7c-0000-4000-8000-000000000002");
    from_repository["name"] = json!("From a Helm repository");
    from_repository["stages"][0]["inputArtifacts"] = json!([{"account": "helm", "artifact": {"type": "helm/chart", "name": "webshop", "version": "1.2.0"}}]);
    let (status, report) = import(addr, &format!("application={app}"), from_repository).await;
    assert_eq!(status, 200, "{report:#}");
    assert!(
        fields(&report["pipelines"][0]["problems"])
            .contains(&"stages[0].inputArtifacts[0].artifact.type".to_string()),
        "{report:#}"
    );
}

#[tokio::test]
async fn manifest_targets_by_cluster_and_label_import_unmarked_and_round_trip() {
    let Some((_client, kubeconfig)) = test_cluster().await else {
        return;
    };
    let server = support::Setup::default()
        .kubernetes(kubernetes_config(&kubeconfig))
        .start()
        .await;
    let addr = server.addr;
    let app = unique("sel");
    create_application(addr, &app).await;
    let original = fixture("manifest-targets-by-selector.json");
    let (status, report) = import(
        addr,
        &format!("application={app}&accounts=gke_acme-prod_europe-west1-b_apps:local"),
        original.clone(),
    )
    .await;
    assert_eq!(status, 200, "{report:#}");
    let imported = &report["pipelines"][0];
    assert_eq!(imported["stored"], true, "{imported:#}");
    assert_eq!(
        imported["problems"],
        json!([]),
        "every stage runs: {imported:#}"
    );
    let id = imported["id"].as_str().expect("an id");
    let (_, exported) = call(addr, "GET", &format!("/api/v1/pipelines/{id}/export"), None).await;
    let mut expected = original.clone();
    for stage in expected["stages"].as_array_mut().into_iter().flatten() {
        stage["account"] = json!("local");
    }
    same_but(exported.clone(), &expected, &["application"]);

    // Saved back as it was exported: the editor's strict save takes it.
    let (status, body) = call(
        addr,
        "PUT",
        &format!("/api/v1/pipelines/{id}?version=1"),
        Some(exported),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");

    // A label selector Spinnaker would refuse is marked, with what to write instead.
    let mut bad = original.clone();
    bad["id"] = json!("8c2f4a1e-0000-4000-8000-000000000002");
    bad["name"] = json!("Bad selector");
    bad["stages"][1]["labelSelectors"]["selectors"][0]["values"] = json!(["a", "b"]);
    let (status, report) = import(
        addr,
        &format!("application={app}&accounts=gke_acme-prod_europe-west1-b_apps:local"),
        bad,
    )
    .await;
    assert_eq!(status, 200, "{report:#}");
    let problems = &report["pipelines"][0]["problems"];
    assert!(
        problems
            .to_string()
            .contains("EQUALS app.kubernetes.io/part-of: give exactly one value"),
        "{problems:#}"
    );
}
