//! Every Kubernetes operation through the JSON API, against the local cluster: load balancer
//! and security group, create / resize / disable / enable / rollback / destroy of server groups,
//! manifest apply / scale / undo rollout / delete, cancel, and bad input refused before
//! anything reaches the cluster.

mod support;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};
use support::cluster::{
    call, create_application, eventually, in_scratch_namespace, kubernetes_config, run, submit,
    test_cluster, unique, wait_for_task,
};

fn group(account_ns: &(String, String), name: &str) -> Value {
    json!({"account": account_ns.0, "namespace": account_ns.1, "name": name})
}

/// The server group `name` in the clusters answer, if present.
fn find_group<'a>(clusters: &'a Value, name: &str) -> Option<&'a Value> {
    clusters
        .as_array()?
        .iter()
        .flat_map(|c| c["serverGroups"].as_array().into_iter().flatten())
        .find(|g| g["name"] == name)
}

fn ready_pods_of(lbs: &Value, lb: &str) -> Vec<String> {
    lbs.as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == lb)
        .and_then(|l| l["readyPods"].as_array())
        .map(|pods| {
            pods.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn server_groups_load_balancers_security_groups_and_manifests() {
    let Some((client, path)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default()
            .kubernetes(kubernetes_config(&path))
            .start()
            .await;
        exercise(server.addr, client, namespace).await;
    })
    .await;
}

async fn exercise(addr: std::net::SocketAddr, client: Client, namespace: String) {
    let app = unique("ops");
    create_application(addr, &app).await;
    let place = ("local".to_string(), namespace.clone());
    let clusters_path = format!("/api/v1/applications/{app}/clusters");
    let lbs_path = format!("/api/v1/applications/{app}/load-balancers");

    // A NodePort load balancer, as the article exposes Deck on 30009.
    let node_port = 30000 + (std::process::id() % 2700) as i64;
    run(
        addr,
        json!({"type": "upsertLoadBalancer", "spec": {
            "application": app, "account": "local", "namespace": namespace, "stack": "web",
            "type": "NodePort", "ports": [{"port": 80, "targetPort": 8080, "nodePort": node_port}]
        }}),
    )
    .await;
    let lb = format!("{app}-web");
    let lbs = eventually(addr, &lbs_path, "the load balancer in the cache", |l| {
        l.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    assert_eq!(lbs[0]["name"], lb.as_str());
    assert_eq!(lbs[0]["type"], "NodePort");
    assert_eq!(lbs[0]["ports"][0]["nodePort"], node_port);

    // A security group allowing port 8080 from one CIDR and from Pods labelled role=frontend.
    run(addr, json!({"type": "upsertSecurityGroup", "spec": {
        "application": app, "account": "local", "namespace": namespace,
        "ingress": [{"ports": [{"port": 8080}], "from": [{"kind": "cidr", "cidr": "10.0.0.0/8"}, {"kind": "pods", "labels": {"role": "frontend"}}]}]
    }}))
    .await;
    let sgs = eventually(
        addr,
        &format!("/api/v1/applications/{app}/security-groups"),
        "the security group",
        |s| s.as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    assert_eq!(
        sgs[0]["spec"]["ingress"][0]["from"][0]["cidr"],
        "10.0.0.0/8"
    );
    assert_eq!(
        sgs[0]["spec"]["ingress"][0]["from"][1]["labels"]["role"],
        "frontend"
    );

    // Create v000 with two replicas behind the load balancer.
    let spec = json!({
        "application": app, "account": "local", "namespace": namespace, "stack": "web",
        "image": "127.0.0.1:29500/gennaker/hello:1.0.0", "replicas": 2,
        "env": [{"name": "GREETING", "value": "hello"}], "ports": [{"containerPort": 8080}],
        "resources": {"cpuRequest": "100m", "memoryLimit": "64Mi"}, "loadBalancers": [lb],
    });
    let task = run(addr, json!({"type": "createServerGroup", "spec": spec})).await;
    let v000 = format!("{app}-web-v000");
    assert_eq!(task["outputs"]["serverGroup"], v000.as_str());
    assert!(
        task["steps"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["status"] == "Succeeded"))
    );
    let clusters = eventually(addr, &clusters_path, "2 Up instances", |c| {
        find_group(c, &v000).is_some_and(|g| {
            g["instances"]
                .as_array()
                .is_some_and(|i| i.len() == 2 && i.iter().all(|i| i["health"] == "Up"))
        })
    })
    .await;
    let g = find_group(&clusters, &v000).expect("v000");
    assert_eq!(g["cluster"], format!("{app}-web"));
    assert_eq!(g["spec"]["image"], "127.0.0.1:29500/gennaker/hello:1.0.0");
    assert_eq!(g["spec"]["env"][0]["name"], "GREETING");
    assert_eq!(g["spec"]["loadBalancers"][0], lb.as_str());
    eventually(
        addr,
        &lbs_path,
        "the load balancer to route to v000's 2 Pods",
        |l| ready_pods_of(l, &lb).len() == 2,
    )
    .await;

    // Resize 2 -> 3.
    run(addr, json!({"type": "resizeServerGroup", "application": app, "serverGroup": group(&place, &v000), "replicas": 3})).await;
    let clusters = eventually(addr, &clusters_path, "3 instances", |c| {
        find_group(c, &v000).is_some_and(|g| g["ready"] == 3)
    })
    .await;
    assert_eq!(find_group(&clusters, &v000).expect("v000")["desired"], 3);

    // A second server group takes the next version.
    let mut second = spec.clone();
    second["image"] = json!("127.0.0.1:29500/gennaker/hello:1.1.0");
    second["replicas"] = json!(1);
    let task = run(addr, json!({"type": "createServerGroup", "spec": second})).await;
    let v001 = format!("{app}-web-v001");
    assert_eq!(task["outputs"]["serverGroup"], v001.as_str());
    eventually(addr, &lbs_path, "4 routed Pods", |l| {
        ready_pods_of(l, &lb).len() == 4
    })
    .await;

    // Disable v000: its Pods leave the endpoints but keep running.
    run(addr, json!({"type": "disableServerGroup", "application": app, "serverGroup": group(&place, &v000)})).await;
    let clusters = eventually(addr, &clusters_path, "v000 disabled", |c| {
        find_group(c, &v000).is_some_and(|g| g["disabled"] == true)
    })
    .await;
    let g = find_group(&clusters, &v000).expect("v000");
    assert_eq!(
        g["instances"].as_array().map(Vec::len),
        Some(3),
        "the Pods keep running"
    );
    assert!(
        g["instances"]
            .as_array()
            .is_some_and(|i| i.iter().all(|i| i["health"] == "OutOfService"))
    );
    let lbs = eventually(addr, &lbs_path, "only v001 routed", |l| {
        ready_pods_of(l, &lb).len() == 1
    })
    .await;
    assert!(
        ready_pods_of(&lbs, &lb)
            .iter()
            .all(|p| p.starts_with(&v001))
    );

    // Enable it again.
    run(addr, json!({"type": "enableServerGroup", "application": app, "serverGroup": group(&place, &v000)})).await;
    eventually(addr, &lbs_path, "4 routed Pods again", |l| {
        ready_pods_of(l, &lb).len() == 4
    })
    .await;

    // Roll back from v001 to v000 (after disabling v000, as a bad deploy would leave it).
    run(addr, json!({"type": "disableServerGroup", "application": app, "serverGroup": group(&place, &v000)})).await;
    run(addr, json!({"type": "rollbackServerGroup", "application": app, "current": group(&place, &v001), "restore": group(&place, &v000)})).await;
    let clusters = eventually(addr, &clusters_path, "v000 enabled, v001 disabled", |c| {
        find_group(c, &v000).is_some_and(|g| g["disabled"] == false)
            && find_group(c, &v001).is_some_and(|g| g["disabled"] == true)
    })
    .await;
    assert_eq!(find_group(&clusters, &v000).expect("v000")["ready"], 3);
    let lbs = eventually(addr, &lbs_path, "only v000 routed", |l| {
        ready_pods_of(l, &lb).len() == 3
    })
    .await;
    assert!(
        ready_pods_of(&lbs, &lb)
            .iter()
            .all(|p| p.starts_with(&v000))
    );

    // Destroy v001.
    run(addr, json!({"type": "destroyServerGroup", "application": app, "serverGroup": group(&place, &v001)})).await;
    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
    assert!(replica_sets.get_opt(&v001).await.expect("get").is_none());
    eventually(addr, &clusters_path, "v001 gone", |c| {
        find_group(c, &v001).is_none()
    })
    .await;

    // Manifests: apply two documents, scale, change, undo the rollout, delete.
    let manifest = |image: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-settings\ndata:\n  mode: fast\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}-api\n  labels: {{app.kubernetes.io/name: {app}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {app}-api}}}}\n  template:\n    metadata: {{labels: {{app: {app}-api}}}}\n    spec:\n      containers: [{{name: api, image: \"{image}\"}}]\n"
        )
    };
    let task = run(addr, json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": manifest("example.com/api:1")})).await;
    assert!(
        task["steps"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ConfigMap") && m.contains("Deployment"))
    );
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let api_name = format!("{app}-api");
    let deployment = deployments
        .get(&api_name)
        .await
        .expect("the Deployment exists");
    assert!(
        deployment
            .metadata
            .managed_fields
            .unwrap_or_default()
            .iter()
            .any(|f| f.manager.as_deref() == Some("gennaker")
                && f.operation.as_deref() == Some("Apply"))
    );
    let target =
        json!({"account": "local", "namespace": namespace, "kind": "deployment", "name": api_name});
    run(
        addr,
        json!({"type": "scaleManifest", "application": app, "target": target, "replicas": 2}),
    )
    .await;
    assert_eq!(
        deployments
            .get(&api_name)
            .await
            .expect("get")
            .spec
            .and_then(|s| s.replicas),
        Some(2)
    );
    run(addr, json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": manifest("example.com/api:2")})).await;
    wait_for_revisions(&client, &namespace, &api_name, 2).await;
    run(addr, json!({"type": "undoRollout", "application": app, "deployment": {"account": "local", "namespace": namespace, "name": api_name}, "revision": 1})).await;
    let image = deployments
        .get(&api_name)
        .await
        .expect("get")
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers[0].image.clone());
    assert_eq!(image, Some(Some("example.com/api:1".to_string())));
    // The Deployment is a cluster: its ReplicaSets are its server groups, newest revision first;
    // undoing to revision 1 made that ReplicaSet revision 3.
    let clusters = eventually(addr, &clusters_path, "the Deployment at revision 3", |c| {
        c.as_array().into_iter().flatten().any(|cluster| {
            cluster["name"] == api_name.as_str()
                && cluster["deployment"]["revision"] == 3
                && cluster["deployment"]["rollout"]["state"] == "complete"
        })
    })
    .await;
    let cluster = clusters
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == api_name.as_str())
        .expect("the Deployment's cluster");
    let revisions: Vec<(Value, Value, Value)> = cluster["serverGroups"]
        .as_array()
        .expect("server groups")
        .iter()
        .map(|g| {
            (
                g["sequence"].clone(),
                g["images"][0].clone(),
                g["deployment"].clone(),
            )
        })
        .collect();
    assert_eq!(
        revisions,
        [
            (json!(3), json!("example.com/api:1"), json!(api_name)),
            (json!(2), json!("example.com/api:2"), json!(api_name)),
        ]
    );
    // The second apply set replicas back to the manifest's 1.
    assert_eq!(cluster["deployment"]["desired"], 1);
    run(addr, json!({"type": "deleteManifest", "application": app, "target": {"account": "local", "namespace": namespace, "kind": "Deployment", "name": api_name}})).await;
    eventually(addr, &clusters_path, "the Deployment's cluster gone", |c| {
        !c.as_array()
            .into_iter()
            .flatten()
            .any(|cluster| cluster["name"] == api_name.as_str())
    })
    .await;

    // Jobs: one that runs to completion (kwok completes its Pod) and one suspended.
    let job = |name: &str, suspend: bool| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  labels: {{app.kubernetes.io/name: {app}}}\nspec:\n  suspend: {suspend}\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: migrate, image: \"example.com/migrate:1\"}}]\n"
        )
    };
    let (done_job, held_job) = (format!("{app}-migrate"), format!("{app}-held"));
    let documents = format!("{}---\n{}", job(&done_job, false), job(&held_job, true));
    run(addr, json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": documents})).await;
    let jobs_path = format!("/api/v1/applications/{app}/jobs");
    let jobs = eventually(addr, &jobs_path, "the Job complete", |jobs| {
        jobs.as_array().into_iter().flatten().any(|j| {
            j["name"] == done_job.as_str()
                && j["state"]["state"] == "complete"
                && j["instances"][0]["health"] == "Completed"
        })
    })
    .await;
    let find_job = |name: &str| {
        jobs.as_array()
            .into_iter()
            .flatten()
            .find(|j| j["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let done = find_job(&done_job);
    assert_eq!(
        (&done["succeeded"], &done["completions"], &done["images"][0]),
        (&json!(1), &json!(1), &json!("example.com/migrate:1"))
    );
    assert!(done["completedAt"].as_str().is_some_and(|t| !t.is_empty()));
    let held = find_job(&held_job);
    assert_eq!(held["state"]["state"], "suspended", "{held}");
    assert_eq!(held["instances"], json!([]));
    for name in [&done_job, &held_job] {
        run(addr, json!({"type": "deleteManifest", "application": app, "target": {"account": "local", "namespace": namespace, "kind": "Job", "name": name}})).await;
    }
    eventually(addr, &jobs_path, "the Jobs gone", |jobs| {
        jobs.as_array().is_some_and(Vec::is_empty)
    })
    .await;
    let (status, refused) = call(addr, "POST", "/api/v1/tasks", Some(json!({"type": "undoRollout", "application": app, "deployment": {"account": "local", "namespace": namespace, "name": "missing"}, "revision": 1}))).await;
    assert_eq!(status, 404, "{refused}");
    run(addr, json!({"type": "deleteManifest", "application": app, "target": {"account": "local", "namespace": namespace, "kind": "ConfigMap", "name": format!("{app}-settings")}})).await;

    // Cancel: Pods that no node accepts keep the wait step waiting until the cancel.
    let mut stuck = spec.clone();
    stuck["stack"] = json!("stuck");
    stuck["loadBalancers"] = json!([]);
    stuck["nodeSelector"] = json!({"gennaker.io/no-such-node": "true"});
    let task = submit(addr, json!({"type": "createServerGroup", "spec": stuck})).await;
    let id = task["id"].as_str().expect("id").to_string();
    wait_for_task(addr, &id, "the wait step", |t| {
        t["steps"][2]["status"] == "Running"
    })
    .await;
    let (status, _) = call(addr, "POST", &format!("/api/v1/tasks/{id}/cancel"), None).await;
    assert_eq!(status, 200);
    let task = wait_for_task(addr, &id, "the cancel", |t| t["status"] != "Running").await;
    assert_eq!(task["status"], "Canceled");
    assert_eq!(task["steps"][2]["status"], "Canceled");
    let (status, body) = call(addr, "POST", &format!("/api/v1/tasks/{id}/cancel"), None).await;
    assert_eq!(status, 409, "a finished task cannot be canceled: {body}");

    // Tasks are listed newest first, for the application.
    let (_, tasks) = call(
        addr,
        "GET",
        &format!("/api/v1/tasks?application={app}"),
        None,
    )
    .await;
    assert_eq!(tasks[0]["id"], id.as_str());
    assert!(tasks.as_array().is_some_and(|t| t.len() >= 15));

    // Delete the load balancer and the security group.
    run(addr, json!({"type": "deleteLoadBalancer", "application": app, "loadBalancer": group(&place, &lb)})).await;
    run(addr, json!({"type": "deleteSecurityGroup", "application": app, "securityGroup": group(&place, &app)})).await;
    eventually(addr, &lbs_path, "no load balancers", |l| {
        l.as_array().is_some_and(Vec::is_empty)
    })
    .await;
}

async fn wait_for_revisions(client: &Client, namespace: &str, deployment: &str, count: usize) {
    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    for _ in 0..300 {
        let list = replica_sets
            .list(&ListParams::default())
            .await
            .expect("list");
        let revisions = list
            .items
            .iter()
            .filter(|rs| {
                rs.name_any().starts_with(deployment)
                    && rs
                        .annotations()
                        .contains_key("deployment.kubernetes.io/revision")
            })
            .count();
        if revisions >= count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{deployment} never reached {count} revisions");
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_reaches_the_cluster() {
    let Some((client, path)) = test_cluster().await else {
        return;
    };
    in_scratch_namespace(&client, move |client, namespace| async move {
        let server = support::Setup::default().kubernetes(kubernetes_config(&path)).start().await;
        let addr = server.addr;
        let app = unique("bad");
        create_application(addr, &app).await;
        let spec = |change: &dyn Fn(&mut Value)| {
            let mut spec = json!({"application": app, "account": "local", "namespace": namespace, "image": "nginx:1", "replicas": 1});
            change(&mut spec);
            json!({"type": "createServerGroup", "spec": spec})
        };
        let refused = |status: u16, body: &Value, field: &str, text: &str| {
            assert_eq!(status, 400, "{body}");
            let message = body["fields"].as_array().and_then(|f| f.iter().find(|f| f["field"] == field)).map(|f| f["message"].to_string());
            assert!(message.as_deref().is_some_and(|m| m.contains(text)), "{field} should say {text:?}: {body}");
        };
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(spec(&|s| s["image"] = json!("Not An Image::")))).await;
        refused(status, &body, "image", "is not an image reference");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(spec(&|s| s["replicas"] = json!(-1)))).await;
        refused(status, &body, "replicas", "between 0 and 1000");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(spec(&|s| s["detail"] = json!("d".repeat(60))))).await;
        refused(status, &body, "detail", "at most 52 fit");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(spec(&|s| s["account"] = json!("nowhere")))).await;
        refused(status, &body, "account", "no Kubernetes account");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(spec(&|s| s["loadBalancers"] = json!(["absent"])))).await;
        refused(status, &body, "loadBalancers", "no load balancer");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": "- just\n- a list\n"}))).await;
        refused(status, &body, "manifest", "is not a Kubernetes object");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: Secret\nmetadata: {name: x}\n"}))).await;
        refused(status, &body, "manifest", "Document 2 is not a Kubernetes object");
        let (status, body) = call(addr, "POST", "/api/v1/tasks", Some(json!({"type": "createServerGroup", "spec": {"application": app, "colour": "blue"}}))).await;
        assert_eq!(status, 400, "unknown fields are refused: {body}");

        // The cluster's own refusal reaches the task: an object kind the cluster does not serve.
        let task = submit(addr, json!({"type": "applyManifest", "application": app, "account": "local", "namespace": namespace, "manifest": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"})).await;
        let id = task["id"].as_str().expect("id").to_string();
        let task = wait_for_task(addr, &id, "the failure", |t| t["status"] != "Running").await;
        assert_eq!(task["status"], "Failed");
        assert!(task["error"].as_str().is_some_and(|e| e.contains("Widget")), "{task:#}");

        let replica_sets: Api<ReplicaSet> = Api::namespaced(client, &namespace);
        assert!(replica_sets.list(&ListParams::default()).await.expect("list").items.is_empty(), "nothing was created");
        let (_, tasks) = call(addr, "GET", &format!("/api/v1/tasks?application={app}"), None).await;
        assert_eq!(tasks.as_array().map(Vec::len), Some(1), "refused operations leave no task");
    })
    .await;
}
