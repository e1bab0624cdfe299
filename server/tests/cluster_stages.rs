//! The stages that act on a cluster's server groups and on Kubernetes objects, through the JSON
//! API against the local cluster: Find Image from Cluster feeding a Deploy; Resize, Disable,
//! Enable and Destroy Server Group on the newest, previous, oldest, largest and a named server
//! group; Shrink Cluster and Scale Down Cluster sparing what the execution deployed; Scale
//! (Manifest), Undo Rollout (Manifest) and Rolling Restart (Manifest) on a Deployment, and
//! Delete and Scale (Manifest) on objects found when they run (by cluster, by label); Deploy (Manifest) from artifacts
//! (an expected artifact bound at the start, a git repository served on loopback), binding
//! the image of a docker/image artifact.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use serde_json::{Value, json};
use support::cluster::{
    application_with_load_balancer, call, create_application, eventually, in_scratch_namespace,
    kubernetes_config, test_cluster, unique,
};
use support::pipelines::{
    create_pipeline, finished, names, server_groups, stage, stage_error, start_execution, summary,
};

/// A stage of one of the cluster stage types on `cluster`.
fn on_cluster(ref_id: &str, kind: &str, name: &str, at: (&str, &str), extra: Value) -> Value {
    let (namespace, cluster) = at;
    let mut stage = json!({"refId": ref_id, "requisiteStageRefIds": [], "type": kind, "name": name,
        "cloudProvider": "kubernetes", "credentials": "local", "namespaces": [namespace], "cluster": cluster});
    if let (Some(target), Some(extra)) = (stage.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    stage
}

/// Chains stages one after the other, in order.
fn in_sequence(mut stages: Vec<Value>) -> Vec<Value> {
    for i in 1..stages.len() {
        let previous = stages[i - 1]["refId"].clone();
        stages[i]["requisiteStageRefIds"] = json!([previous]);
    }
    stages
}

fn group<'g>(groups: &'g [Value], name: &str) -> Option<&'g Value> {
    groups.iter().find(|g| g["name"] == name)
}

#[tokio::test]
async fn server_group_and_cluster_stages_pick_their_targets_when_they_run() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |_client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let (app, lb) = application_with_load_balancer(addr, "cs", &namespace).await;
        let cluster = format!("{app}-web");
        let deploy_cluster = |image: Value| json!({
            "account": "local", "application": app, "cloudProvider": "kubernetes",
            "namespace": namespace, "region": namespace, "stack": "web", "targetSize": 1,
            "strategy": "", "loadBalancers": [lb.clone()],
            "containers": [{"name": "web", "imageDescription": image}]
        });
        // Three server groups, v000 to v002, each with its own image, all serving.
        for tag in ["1.25", "1.26", "1.27"] {
            let id = create_pipeline(addr, json!({"application": app, "name": format!("Deploy {tag}"),
                "stages": [{"refId": "1", "type": "deploy", "name": "Deploy",
                    "clusters": [deploy_cluster(json!({"imageId": format!("nginx:{tag}")}))]}]})).await;
            let done = finished(addr, &start_execution(addr, &id, json!({})).await).await;
            assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        }
        let v = |n: u32| format!("{cluster}-v{n:03}");
        let at = (namespace.as_str(), cluster.as_str());
        let stages = in_sequence(vec![
            on_cluster("1", "findImageFromCluster", "Find Image", at, json!({"selectionStrategy": "NEWEST", "onlyEnabled": true})),
            json!({"refId": "2", "type": "deploy", "name": "Deploy",
                "clusters": [deploy_cluster(json!({"fromContext": true, "stageId": "1", "cluster": cluster}))]}),
            on_cluster("3", "resizeServerGroup", "Grow oldest", at, json!({"target": "oldest_asg_dynamic",
                "action": "scale_up", "resizeType": "incr", "scaleNum": 2})),
            on_cluster("4", "disableServerGroup", "Disable previous", at, json!({"target": "ancestor_asg_dynamic"})),
            on_cluster("5", "disableServerGroup", "Disable v001", at, json!({"serverGroupName": v(1)})),
            on_cluster("6", "enableServerGroup", "Enable previous", at, json!({"target": "ancestor_asg_dynamic"})),
            // Keeps v003 (deployed here, counts as kept) and v002 (newest of the rest); deletes
            // v001 (disabled); v000 serves, so it stays.
            on_cluster("7", "shrinkCluster", "Shrink", at, json!({"shrinkToSize": 2, "allowDeleteActive": false})),
            // Keeps v003 and the larger of v000 (3 replicas) and v002: v002 goes to 0.
            on_cluster("8", "scaleDownCluster", "Scale down", at, json!({"remainingFullSizeServerGroups": 2,
                "preferLargerOverNewer": true, "allowScaleDownActive": true})),
            on_cluster("9", "destroyServerGroup", "Destroy largest", at, json!({"target": "largest_asg_dynamic"})),
        ]);
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Cluster stages", "stages": stages})).await;
        let done = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));

        let found = &stage(&done, "Find Image")["outputs"]["deploymentDetails"][0];
        assert_eq!((found["imageId"].as_str(), found["sourceServerGroup"].as_str()), (Some("nginx:1.27"), Some(v(2).as_str())));
        let acted_on = |name: &str| stage(&done, name)["outputs"]["serverGroupName"].as_str().unwrap_or_default().to_string();
        assert_eq!(acted_on("Grow oldest"), v(0));
        assert_eq!(stage(&done, "Grow oldest")["outputs"]["capacity"]["desired"], 3);
        assert_eq!(acted_on("Disable previous"), v(2));
        assert_eq!(acted_on("Disable v001"), v(1));
        assert_eq!(acted_on("Enable previous"), v(2));
        assert_eq!(stage(&done, "Scale down")["outputs"]["scaledDown"], json!([v(2)]));
        assert_eq!(acted_on("Destroy largest"), v(0));

        let path = format!("/api/v1/applications/{app}/clusters");
        let clusters = eventually(addr, &path, "v002 at 0 and v003 left", |c| {
            names(&server_groups(c)) == [v(2), v(3)]
        })
        .await;
        let groups = server_groups(&clusters);
        let (v002, v003) = (group(&groups, &v(2)).unwrap(), group(&groups, &v(3)).unwrap());
        assert_eq!(v003["images"], json!(["nginx:1.27"]), "the Deploy took the image Find Image found");
        assert_eq!((v003["desired"].as_i64(), v003["disabled"].as_bool()), (Some(1), Some(false)), "never touched");
        assert_eq!((v002["desired"].as_i64(), v002["disabled"].as_bool()), (Some(0), Some(false)));

        // A target that is not there fails its stage, saying so; nothing else changes.
        let missing = create_pipeline(addr, json!({"application": app, "name": "Missing", "stages": [
            on_cluster("1", "resizeServerGroup", "Resize", at, json!({"serverGroupName": v(9),
                "action": "scale_exact", "capacity": {"desired": 2}}))]})).await;
        let failed = finished(addr, &start_execution(addr, &missing, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Resize");
        assert!(error.contains(&format!("there is no server group {}", v(9))), "{error}");

        // A bad setting is refused at save, by its path.
        let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(json!({"application": app, "name": "Bad",
            "stages": [on_cluster("1", "disableServerGroup", "Disable", at, json!({"target": "biggest"}))]}))).await;
        assert_eq!(status, 400, "{body:#}");
        assert_eq!(body["fields"][0]["field"], "stages[0].target");
    })
    .await;
}

#[tokio::test]
async fn scale_and_undo_rollout_of_a_deployment() {
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("um");
        create_application(addr, &app).await;
        let name = format!("{app}-api");
        let manifest = |image: &str| json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": app}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "api", "image": image}]}}}});
        for image in ["nginx:1.25", "nginx:1.26"] {
            let id = create_pipeline(addr, json!({"application": app, "name": format!("Apply {image}"), "stages": [
                {"refId": "1", "type": "deployManifest", "name": "Apply", "account": "local",
                 "cloudProvider": "kubernetes", "source": "text", "manifests": [manifest(image)]}]})).await;
            let done = finished(addr, &start_execution(addr, &id, json!({})).await).await;
            assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        }
        let object = json!({"account": "local", "location": namespace, "cloudProvider": "kubernetes",
            "manifestName": format!("deployment {name}"), "mode": "static"});
        let with = |extra: Value| {
            let mut stage = object.clone();
            if let (Some(s), Some(e)) = (stage.as_object_mut(), extra.as_object()) {
                s.extend(e.clone());
            }
            stage
        };
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Scale and undo", "stages": [
            with(json!({"refId": "1", "type": "scaleManifest", "name": "Scale", "replicas": "${1 + 2}"})),
            with(json!({"refId": "2", "requisiteStageRefIds": ["1"], "type": "undoRolloutManifest", "name": "Undo", "numRevisionsBack": 1})),
            with(json!({"refId": "3", "requisiteStageRefIds": ["2"], "type": "rollingRestartManifest", "name": "Restart"})),
        ]})).await;
        let done = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        assert_eq!(stage(&done, "Undo")["outputs"]["undoRollout"]["revision"], 1);

        let deployments: Api<Deployment> = Api::namespaced(client, &namespace);
        let deployment = deployments.get(&name).await.expect("the Deployment");
        let restarted = deployment.spec.as_ref().and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get("kubectl.kubernetes.io/restartedAt").cloned());
        assert!(restarted.is_some(), "Rolling Restart stamps the Pod template");
        let spec = deployment.spec.expect("a spec");
        assert_eq!(spec.replicas, Some(3));
        let image = spec.template.spec.and_then(|p| p.containers.first().and_then(|c| c.image.clone()));
        assert_eq!(image.as_deref(), Some("nginx:1.25"), "back one revision");

        // Four revisions now (1 became 3, the restart made 4): going back 5 fails, saying how many there are.
        let too_far = create_pipeline(addr, json!({"application": app, "name": "Too far", "stages": [
            with(json!({"refId": "1", "type": "undoRolloutManifest", "name": "Undo", "numRevisionsBack": 5}))]})).await;
        let failed = finished(addr, &start_execution(addr, &too_far, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Undo");
        assert!(error.contains("cannot go 5 back"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn manifest_stages_find_their_objects_by_cluster_and_by_label_when_they_run() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::api::core::v1::ConfigMap;
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("sel");
        create_application(addr, &app).await;
        let config_map = |name: &str, labels: Value| json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{app}-{name}"), "labels": labels}, "data": {"k": "v"}});
        let replica_set = |version: &str| {
            let name = format!("{app}-web-{version}");
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"rs": name}},
                    "template": {"metadata": {"labels": {"rs": name}},
                        "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}})
        };
        let applied = create_pipeline(addr, json!({"application": app, "name": "Objects", "stages": [
            {"refId": "1", "type": "deployManifest", "name": "Apply", "account": "local", "cloudProvider": "kubernetes",
             "namespaceOverride": namespace, "source": "text", "manifests": [
                config_map("cache", json!({"tier": "cache"})),
                config_map("db", json!({"tier": "db"})),
                config_map("kept", json!({"tier": "cache", "keep": "yes"})),
                replica_set("v001"), replica_set("v002")]}]})).await;
        let done = finished(addr, &start_execution(addr, &applied, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));

        let at = json!({"account": "local", "location": namespace, "cloudProvider": "kubernetes"});
        let with = |extra: Value| {
            let mut stage = at.clone();
            if let (Some(s), Some(e)) = (stage.as_object_mut(), extra.as_object()) {
                s.extend(e.clone());
            }
            stage
        };
        let cluster = format!("replicaSet {app}-web");
        let pipeline = create_pipeline(addr, json!({"application": app, "name": "Select", "stages": in_sequence(vec![
            with(json!({"refId": "1", "type": "deleteManifest", "name": "Delete cache", "mode": "label",
                "kinds": ["configMap"], "labelSelectors": {"selectors": [
                    {"kind": "EQUALS", "key": "tier", "values": ["cache"]}, {"kind": "NOT_EXISTS", "key": "keep", "values": []}]}})),
            with(json!({"refId": "2", "type": "scaleManifest", "name": "Scale previous", "mode": "dynamic",
                "cluster": cluster, "criteria": "second_newest", "kind": "replicaSet", "replicas": 0})),
            with(json!({"refId": "3", "type": "deleteManifest", "name": "Delete newest", "mode": "dynamic",
                "cluster": cluster, "criteria": "newest"})),
        ])})).await;
        let done = finished(addr, &start_execution(addr, &pipeline, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let found = |name: &str| stage(&done, name)["outputs"]["outputs.manifestNamesByNamespace"][&namespace].clone();
        assert_eq!(found("Delete cache"), json!([format!("configMap {app}-cache")]));
        assert_eq!(found("Scale previous"), json!([format!("replicaSet {app}-web-v001")]));
        assert_eq!(found("Delete newest"), json!([format!("replicaSet {app}-web-v002")]));

        let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
        let left: Vec<String> = config_maps.list(&Default::default()).await.expect("ConfigMaps").items
            .into_iter().filter_map(|c| c.metadata.name).filter(|n| n.starts_with(&app)).collect();
        assert_eq!(left, vec![format!("{app}-db"), format!("{app}-kept")], "only the labelled one is gone");
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
        let previous = replica_sets.get(&format!("{app}-web-v001")).await.expect("the previous one stays");
        assert_eq!(previous.spec.and_then(|s| s.replicas), Some(0));
        let newest = replica_sets.get_opt(&format!("{app}-web-v002")).await.expect("a read");
        assert!(newest.is_none_or(|rs| rs.metadata.deletion_timestamp.is_some()), "the newest is deleted");

        // Nothing left to be the second newest: the stage fails saying so, and nothing changes.
        let alone = create_pipeline(addr, json!({"application": app, "name": "Alone", "stages": [
            with(json!({"refId": "1", "type": "deleteManifest", "name": "Delete previous", "mode": "dynamic",
                "cluster": cluster, "criteria": "second_newest"}))]})).await;
        let failed = finished(addr, &start_execution(addr, &alone, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Delete previous");
        assert!(error.contains("has only 1 replicaSet, so there is no second newest one"), "{error}");
        assert!(replica_sets.get_opt(&format!("{app}-web-v001")).await.expect("a read").is_some());

        // Saving refuses a selector that would change the query's meaning, naming the field.
        let (status, body) = call(addr, "POST", "/api/v1/pipelines", Some(json!({"application": app, "name": "Bad", "stages": [
            with(json!({"refId": "1", "type": "deleteManifest", "name": "D", "mode": "label", "kinds": ["configMap"],
                "labelSelectors": {"selectors": [{"kind": "EQUALS", "key": "tier", "values": ["cache,tier!=db"]}]}}))]}))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.to_string().contains("stages[0].labelSelectors.selectors[0].key"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn deploy_manifest_reads_its_manifests_from_artifacts_and_binds_images() {
    use base64::Engine;
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let git = support::artifact_servers::GitServer::start(None).await;
        git.repository("config", &[&[("deploy/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: \"${kept.as.written}\"\n")]]);
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("ar");
        create_application(addr, &app).await;
        let name = format!("{app}-web");
        let manifest = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    started-by: \"${{trigger.type}}\"\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(manifest);
        let expected = json!([
            {"id": "manifest", "displayName": "web-manifest", "useDefaultArtifact": true,
             "matchArtifact": {"type": "embedded/base64", "name": "web-manifest"},
             "defaultArtifact": {"type": "embedded/base64", "name": "web-manifest", "reference": encoded}},
            {"id": "image", "displayName": "web-image", "useDefaultArtifact": true,
             "matchArtifact": {"type": "docker/image", "name": "nginx"},
             "defaultArtifact": {"type": "docker/image", "name": "nginx", "reference": "nginx:1.27", "version": "1.27"}},
            {"id": "db-image", "useDefaultArtifact": true,
             "matchArtifact": {"type": "docker/image", "name": "postgres"},
             "defaultArtifact": {"type": "docker/image", "name": "postgres", "reference": "postgres:17"}}
        ]);
        let id = create_pipeline(addr, json!({"application": app, "name": "From artifacts", "expectedArtifacts": expected, "stages": [
            {"refId": "1", "type": "deployManifest", "name": "Web", "account": "local", "cloudProvider": "kubernetes",
             "source": "artifact", "manifestArtifactId": "manifest", "requiredArtifactIds": ["image"],
             "namespaceOverride": namespace},
            {"refId": "2", "requisiteStageRefIds": ["1"], "type": "deployManifest", "name": "Settings", "account": "local",
             "cloudProvider": "kubernetes", "source": "artifact", "skipExpressionEvaluation": true, "namespaceOverride": namespace,
             "manifestArtifact": {"type": "git/repo", "reference": git.url("config"), "version": "main",
                 "metadata": {"subPath": "deploy"}}}
        ]})).await;
        let done = finished(addr, &start_execution(addr, &id, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let outputs = &stage(&done, "Web")["outputs"];
        assert_eq!(outputs["outputs.manifestNamesByNamespace"][&namespace], json!([format!("deployment {name}")]));
        assert_eq!(outputs["outputs.boundArtifacts"][0]["reference"], "nginx:1.27", "{outputs}");

        let deployment = Api::<Deployment>::namespaced(client.clone(), &namespace).get(&name).await.expect("the Deployment");
        let labels = deployment.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("started-by").map(String::as_str), Some("manual"), "expressions in an artifact's manifests are evaluated");
        let image = deployment.spec.and_then(|s| s.template.spec).and_then(|p| p.containers.first().and_then(|c| c.image.clone()));
        assert_eq!(image.as_deref(), Some("nginx:1.27"), "the docker/image artifact is bound");
        let settings = Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client, &namespace).get("settings").await.expect("the ConfigMap");
        assert_eq!(settings.data.and_then(|d| d.get("greeting").cloned()).as_deref(), Some("${kept.as.written}"));

        // A required artifact no container names fails the stage, naming it.
        let unbound = create_pipeline(addr, json!({"application": app, "name": "Unbound", "expectedArtifacts": expected, "stages": [
            {"refId": "1", "type": "deployManifest", "name": "Web", "account": "local", "cloudProvider": "kubernetes",
             "source": "artifact", "manifestArtifactId": "manifest", "requiredArtifactIds": ["db-image"], "namespaceOverride": namespace}]})).await;
        let failed = finished(addr, &start_execution(addr, &unbound, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Web");
        assert!(error.contains("postgres") && error.contains("could not be bound"), "{error}");
        // An id no expected artifact has fails before anything runs, saying which there are.
        let unknown = create_pipeline(addr, json!({"application": app, "name": "Unknown", "expectedArtifacts": expected, "stages": [
            {"refId": "1", "type": "deployManifest", "name": "Web", "account": "local", "cloudProvider": "kubernetes",
             "source": "artifact", "manifestArtifactId": "nope", "namespaceOverride": namespace}]})).await;
        let failed = finished(addr, &start_execution(addr, &unknown, json!({})).await).await;
        let error = stage_error(&failed, "Web");
        assert!(error.contains("\"nope\"") && error.contains("manifest, image, db-image"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn deploy_manifest_from_git_with_traffic_management_red_black_then_highlander() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    let Some((client, kubeconfig)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&kubeconfig)).start().await;
        let addr = server.addr;
        let app = unique("tm");
        create_application(addr, &app).await;
        let name = format!("{app}-web");
        let git = support::artifact_servers::GitServer::start(None).await;
        git.repository("web", &[&[("k8s/replica-set.yaml", &format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{rs: {name}}}\n  template:\n    metadata:\n      labels: {{rs: {name}}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n"))]]);
        let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"frontend": name}, "ports": [{"port": 80, "targetPort": 8080}]}});
        let setup = create_pipeline(addr, json!({"application": app, "name": "Service", "stages": [
            {"refId": "1", "type": "deployManifest", "name": "Service", "account": "local", "cloudProvider": "kubernetes",
             "source": "text", "namespaceOverride": namespace, "manifests": [service]}]})).await;
        let done = finished(addr, &start_execution(addr, &setup, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));

        let deploy = |strategy: &str| json!({"refId": "1", "type": "deployManifest", "name": "Web", "account": "local",
            "cloudProvider": "kubernetes", "source": "artifact", "namespaceOverride": namespace,
            "manifestArtifact": {"type": "git/repo", "reference": git.url("web"), "version": "main", "metadata": {"subPath": "k8s"}},
            "trafficManagement": {"enabled": true, "options": {"enableTraffic": true, "namespace": namespace,
                "services": [format!("service {name}")], "strategy": strategy}}});
        let red_black = create_pipeline(addr, json!({"application": app, "name": "Red/Black", "stages": [deploy("redblack")]})).await;
        for run in 0..2 {
            let done = finished(addr, &start_execution(addr, &red_black, json!({})).await).await;
            assert_eq!(done["status"], "SUCCEEDED", "run {run}: {}", summary(&done));
            let outputs = &stage(&done, "Web")["outputs"];
            assert_eq!(outputs["serverGroup"], format!("{name}-v00{run}"), "{outputs}");
            assert_eq!(outputs["outputs.manifestNamesByNamespace"][&namespace], json!([format!("replicaset {name}-v00{run}")]));
        }
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
        let template_labels = |rs: &ReplicaSet| rs.spec.as_ref().and_then(|s| s.template.as_ref())
            .and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone()).unwrap_or_default();
        let old = replica_sets.get(&format!("{name}-v000")).await.expect("v000 stays");
        let new = replica_sets.get(&format!("{name}-v001")).await.expect("v001");
        assert_eq!(template_labels(&new).get("frontend"), Some(&name), "the new version is behind the Service");
        assert_eq!(template_labels(&old).get("frontend"), None, "Red/Black took the old one out");
        let annotations = new.metadata.annotations.clone().unwrap_or_default();
        assert_eq!(annotations.get("traffic.spinnaker.io/load-balancers").map(String::as_str),
            Some(format!("[\"service {name}\"]").as_str()));
        assert_eq!(annotations.get("moniker.spinnaker.io/cluster").map(String::as_str), Some(format!("replicaSet {name}").as_str()));
        assert_eq!(annotations.get("moniker.spinnaker.io/sequence").map(String::as_str), Some("1"));
        // The application's clusters show both, the old one disabled.
        let clusters = eventually(addr, &format!("/api/v1/applications/{app}/clusters"), "both versions", |body| {
            server_groups(body).len() >= 2
        }).await;
        let groups = server_groups(&clusters);
        let disabled = |n: &str| group(&groups, n).map(|g| g["disabled"].clone());
        assert_eq!(disabled(&format!("{name}-v000")), Some(json!(true)), "{groups:?}");
        assert_eq!(disabled(&format!("{name}-v001")), Some(json!(false)), "{groups:?}");

        // Highlander: the next version, and the others are deleted.
        let highlander = create_pipeline(addr, json!({"application": app, "name": "Highlander", "stages": [deploy("highlander")]})).await;
        let done = finished(addr, &start_execution(addr, &highlander, json!({})).await).await;
        assert_eq!(done["status"], "SUCCEEDED", "{}", summary(&done));
        let left: Vec<String> = replica_sets.list(&Default::default()).await.expect("ReplicaSets").items.into_iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .filter_map(|rs| rs.metadata.name).filter(|n| n.starts_with(&name)).collect();
        assert_eq!(left, vec![format!("{name}-v002")]);

        // A Service that is not there fails the stage before anything is applied, naming it.
        let mut missing = deploy("redblack");
        missing["trafficManagement"]["options"]["services"] = json!(["service nowhere"]);
        let broken = create_pipeline(addr, json!({"application": app, "name": "Missing", "stages": [missing]})).await;
        let failed = finished(addr, &start_execution(addr, &broken, json!({})).await).await;
        assert_eq!(failed["status"], "TERMINAL");
        let error = stage_error(&failed, "Web");
        assert!(error.contains("Service nowhere does not exist"), "{error}");
    })
    .await;
}
