# Shared settings for the local-cluster scripts. Sourced, never run.
# Everything built or downloaded lives outside the clone, under $GENNAKER_CACHE, so a second
# start takes seconds and a fresh clone reuses what an earlier one built.
set -euo pipefail

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"

GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
BIN_K8S="$GENNAKER_CACHE/bin/kubernetes-v$K8S_VERSION"
BIN_ETCD="$GENNAKER_CACHE/bin/etcd-v$ETCD_VERSION"
BIN_KWOK="$GENNAKER_CACHE/bin/kwok-v$KWOK_VERSION"

# Where a running cluster keeps its certificates, data, logs and pid files.
CLUSTER_STATE="${GENNAKER_CLUSTER_STATE:-$GENNAKER_CACHE/cluster}"
KUBECONFIG_OUT="$CLUSTER_STATE/kubeconfig"

# Loopback ports; override to run two clusters side by side.
ETCD_CLIENT_PORT="${GENNAKER_ETCD_CLIENT_PORT:-23790}"
ETCD_PEER_PORT="${GENNAKER_ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${GENNAKER_APISERVER_PORT:-16443}"
CONTROLLER_MANAGER_PORT="${GENNAKER_CONTROLLER_MANAGER_PORT:-10257}"
SCHEDULER_PORT="${GENNAKER_SCHEDULER_PORT:-10259}"
KWOK_PORT="${GENNAKER_KWOK_PORT:-10247}"

# Kept apart: Service IPs and the pod CIDR kwok hands out.
SERVICE_CIDR="10.96.0.0/16"
POD_CIDR="10.244.0.0/16"
FAKE_NODES=3

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }
