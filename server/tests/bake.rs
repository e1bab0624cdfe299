//! Bake (Manifest) against the real tools and the local cluster: a Helm chart in a git
//! repository served on loopback, with a values file and overrides, rendered by Helm and
//! deployed by a Deploy (Manifest) that reads the baked artifact by its expected artifact's id;
//! a kustomize overlay rendered by `kubectl kustomize` the same way; a chart that does not
//! render fails its stage with Helm's message.

mod support;

use base64::Engine;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use serde_json::json;
use support::cluster::{
    create_application, in_scratch_namespace, kubernetes_config, test_cluster, unique,
};
use support::pipelines::{create_pipeline, finished, stage, stage_error, start_execution, summary};

/// Helm's path, when it is there; missing under CI is a failure.
fn helm() -> bool {
    let path = support::helm_path();
    let found = path.is_file()
        || std::process::Command::new(&path)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !found {
        let hint = format!(
            "no Helm at {}: run end2end/services/helm.sh build",
            path.display()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{hint}");
        }
        eprintln!("skipped: {hint}");
    }
    found
}

const CHART: &str = "apiVersion: v2\nname: web\nversion: 0.1.0\n";
const VALUES: &str = "greeting: hello\nreplicas: 1\n";
const TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n  namespace: {{ .Release.Namespace }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n";

#[tokio::test]
async fn a_baked_helm_chart_and_kustomization_are_deployed_by_deploy_manifest() {
    if !helm() {
        return;
    }
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let git = support::artifact_servers::GitServer::start(None).await;
        git.repository("charts", &[&[
            ("charts/web/Chart.yaml", CHART),
            ("charts/web/values.yaml", VALUES),
            ("charts/web/templates/web.yaml", TEMPLATE),
            ("charts/broken/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n"),
            ("charts/broken/templates/bad.yaml", "kind: {{ .Values.nothing.here }}\n"),
            ("kustomize/base/kustomization.yaml", "resources:\n- settings.yaml\n"),
            ("kustomize/base/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  tier: base\n"),
            ("kustomize/overlays/prod/kustomization.yaml", "resources:\n- ../../base\nnamePrefix: prod-\n"),
        ]]);
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("bk");
        create_application(addr, &app).await;
        let release = format!("{app}-web");
        let values = base64::engine::general_purpose::STANDARD.encode("greeting: hi\n");
        let repository = json!({"type": "git/repo", "reference": git.url("charts"), "version": "main"});
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Bake and deploy",
            "expectedArtifacts": [{"id": "repo", "matchArtifact": {"type": "git/repo"}, "useDefaultArtifact": true,
                "defaultArtifact": repository}],
            "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "bakeManifest", "name": "Bake chart", "templateRenderer": "HELM3",
             "outputName": release, "namespace": namespace, "helmChartFilePath": "charts/web/Chart.yaml",
             "inputArtifacts": [{"account": "git-repo", "id": "repo"},
                 {"account": "embedded-artifact", "artifact": {"type": "embedded/base64", "name": "values", "reference": values}}],
             "overrides": {"replicas": "2"},
             "expectedArtifacts": [{"id": "baked-chart", "matchArtifact": {"type": "embedded/base64", "name": release}}]},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "deployManifest", "name": "Deploy chart", "account": "local",
             "cloudProvider": "kubernetes", "source": "artifact", "manifestArtifactId": "baked-chart", "namespaceOverride": namespace},
            {"refId": "3", "requisiteStageRefIds": [], "type": "bakeManifest", "name": "Bake overlay", "templateRenderer": "KUSTOMIZE",
             "outputName": "overlay", "inputArtifact": {"id": "repo"}, "kustomizeFilePath": "kustomize/overlays/prod/kustomization.yaml",
             "expectedArtifacts": [{"id": "baked-overlay", "matchArtifact": {"type": "embedded/base64"}}]},
            {"refId": "4", "requisiteStageRefIds": ["3"], "type": "deployManifest", "name": "Deploy overlay", "account": "local",
             "cloudProvider": "kubernetes", "source": "artifact", "manifestArtifactId": "baked-overlay", "namespaceOverride": namespace},
        ]})).await;
        let done = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let baked = &stage(&done, "Bake chart")["outputs"];
        assert_eq!(baked["artifacts"][0]["type"], "embedded/base64", "{baked}");
        assert_eq!(baked["artifacts"][0]["name"], release.as_str());
        assert_eq!(baked["resolvedExpectedArtifacts"][0]["id"], "baked-chart");

        let settings = Api::<ConfigMap>::namespaced(client.clone(), &namespace)
            .get(&format!("{release}-settings")).await.expect("the chart's ConfigMap");
        assert_eq!(settings.data.and_then(|d| d.get("greeting").cloned()).as_deref(), Some("hi"), "the values file wins over the chart's");
        let deployment = Api::<Deployment>::namespaced(client.clone(), &namespace).get(&release).await.expect("the chart's Deployment");
        assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(2), "the override wins over both");
        let overlay = Api::<ConfigMap>::namespaced(client.clone(), &namespace).get("prod-settings").await.expect("the overlay's ConfigMap");
        assert_eq!(overlay.data.and_then(|d| d.get("tier").cloned()).as_deref(), Some("base"));

        // A chart that does not render fails its stage with Helm's own words, and nothing is deployed.
        let broken = create_pipeline(addr, json!({"application": app, "name": "Broken", "stages": [
            {"refId": "1", "requisiteStageRefIds": [], "type": "bakeManifest", "name": "Bake", "templateRenderer": "HELM3",
             "outputName": "broken", "helmChartFilePath": "charts/broken", "inputArtifacts": [{"artifact": repository}]}]})).await;
        let failed = finished(addr, &start_execution(addr, &broken, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Bake");
        assert!(error.contains("Helm could not render") && error.contains("nil pointer"), "{error}");
    })
    .await;
}
