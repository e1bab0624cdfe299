#!/usr/bin/env bash
# Benchmarks of the Kubernetes provider that print figures (never asserted in tests): the delay
# from a kubectl change to an open browser showing it, and the server's memory with 2,000 Pods in
# its cache, and a pipeline Deploy (Highlander) against kubectl apply + wait. Starts its own
# cluster (state and ports apart from `make run` and `make test`).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh"
build_release
export GENNAKER_CLUSTER_STATE="$GENNAKER_CACHE/bench-cluster"
export GENNAKER_ETCD_CLIENT_PORT=34790 GENNAKER_ETCD_PEER_PORT=34800 GENNAKER_APISERVER_PORT=27443
export GENNAKER_CONTROLLER_MANAGER_PORT=21257 GENNAKER_SCHEDULER_PORT=21259 GENNAKER_KWOK_PORT=21247
trap '"$REPO_ROOT/end2end/cluster/down.sh"' EXIT
"$REPO_ROOT/end2end/cluster/up.sh" --fresh
. "$REPO_ROOT/end2end/cluster/versions.env"
export KUBECONFIG="$GENNAKER_CLUSTER_STATE/kubeconfig"
export GENNAKER_KUBECTL="$GENNAKER_CACHE/bin/kubernetes-v$K8S_VERSION/kubectl"
cd "$REPO_ROOT/end2end"
GENNAKER_BIN="$GENNAKER_BIN" GENNAKER_SITE_ROOT="$SITE_ROOT" node bench/kubernetes.js
cd "$REPO_ROOT"
cargo bench --locked -p gennaker --bench deploy_vs_kubectl
