//! Prints how long a pipeline's Deploy (Highlander) of a 3-replica server group takes,
//! from the start of the execution to its end, against `kubectl apply` of an equal ReplicaSet
//! plus `kubectl wait` for its 3 Ready replicas, alternating on the same local cluster in the
//! same run, and the ratio of the medians (goal: at most 1.1). Figures only.
//!
//! Run: `scripts/bench-kubernetes.sh` (starts its own cluster), or with `KUBECONFIG` and
//! `GENNAKER_KUBECTL` set: `cargo bench -p gennaker --bench deploy_vs_kubectl`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use gennaker::config::{KubernetesConfig, StoreConfig};
use serde_json::json;

const ROUNDS: usize = 5;

fn kubectl(args: &[&str], input: Option<&str>) {
    let kubectl = std::env::var("GENNAKER_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut command = Command::new(kubectl);
    command.args(args);
    let output = match input {
        Some(text) => {
            use std::io::Write;
            let mut child = command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("run kubectl");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write the manifest");
            child.wait_with_output().expect("kubectl")
        }
        None => command.output().expect("run kubectl"),
    };
    assert!(output.status.success(), "kubectl {args:?} failed");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    gennaker::install_crypto_provider();
    let Some(path) = std::env::var_os("KUBECONFIG") else {
        println!(
            "deploy vs kubectl: skipped (KUBECONFIG is not set; scripts/bench-kubernetes.sh starts a cluster)"
        );
        return;
    };
    let data = tempfile::tempdir().expect("a temporary directory");
    let kubernetes =
        KubernetesConfig::single_account("local", path.as_ref()).expect("a readable kubeconfig");
    let store = StoreConfig::Embedded {
        dir: data.path().join("store"),
    };
    let (addr, _server) = support::serve_with(data.path(), store, kubernetes).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let namespace = format!("bench-{}", std::process::id());
    kubectl(&["create", "namespace", &namespace], None);

    let mut gennaker_times = Vec::new();
    let mut kubectl_times = Vec::new();
    for round in 0..ROUNDS {
        // Gennaker: a fresh application each round, so Highlander has nothing else to remove.
        let app = format!("bench{round}x{}", std::process::id());
        let (status, _) = support::send(
            addr,
            "POST",
            "/api/v1/applications",
            Some(&json!({"name": app, "ownerEmail": "bench@example.com"}).to_string()),
        )
        .await;
        assert_eq!(status, 201);
        let pipeline = json!({"application": app, "name": "Deploy", "stages": [{
            "refId": "1", "requisiteStageRefIds": [], "type": "deploy", "name": "Deploy",
            "clusters": [{"account": "local", "namespace": namespace, "targetSize": 3,
                "strategy": "highlander",
                "containers": [{"name": "web", "imageDescription": {"imageId": "nginx:1.27"}}]}]}]});
        let (_, created) = support::send(
            addr,
            "POST",
            "/api/v1/pipelines",
            Some(&pipeline.to_string()),
        )
        .await;
        let id = support::body(&created)["config"]["id"]
            .as_str()
            .expect("a pipeline id")
            .to_string();
        let started = Instant::now();
        let (_, body) = support::send(
            addr,
            "POST",
            &format!("/api/v1/pipelines/{id}/executions"),
            Some("{}"),
        )
        .await;
        let execution = support::body(&body)["id"]
            .as_str()
            .expect("an execution")
            .to_string();
        loop {
            let (_, body) = support::send(
                addr,
                "GET",
                &format!("/api/v1/executions/{execution}"),
                None,
            )
            .await;
            let status = support::body(&body)["status"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if status == "SUCCEEDED" {
                break;
            }
            assert!(
                status == "RUNNING" || status == "NOT_STARTED",
                "the deploy ended {status}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        gennaker_times.push(started.elapsed());

        // kubectl: the same ReplicaSet, applied, then waited for.
        let name = format!("kubectl{round}");
        let manifest = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"rs": name}},
                "template": {"metadata": {"labels": {"rs": name}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
        let started = Instant::now();
        kubectl(&["apply", "-f", "-"], Some(&manifest.to_string()));
        kubectl(
            &[
                "wait",
                "--namespace",
                &namespace,
                "--for=jsonpath={.status.readyReplicas}=3",
                &format!("replicaset/{name}"),
                "--timeout=120s",
            ],
            None,
        );
        kubectl_times.push(started.elapsed());
    }
    kubectl(&["delete", "namespace", &namespace, "--wait=false"], None);
    let (g, k) = (
        median(gennaker_times.clone()),
        median(kubectl_times.clone()),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("deploy of a 3-replica server group, {ROUNDS} rounds each, alternating:");
    println!(
        "  Gennaker pipeline (Deploy, Highlander): median {:.0} ms {:?}",
        ms(g),
        gennaker_times
            .iter()
            .map(|d| ms(*d).round())
            .collect::<Vec<_>>()
    );
    println!(
        "  kubectl apply + wait for 3 Ready:       median {:.0} ms {:?}",
        ms(k),
        kubectl_times
            .iter()
            .map(|d| ms(*d).round())
            .collect::<Vec<_>>()
    );
    println!(
        "  ratio {:.2} (goal ≤ 1.1)",
        g.as_secs_f64() / k.as_secs_f64()
    );
}
