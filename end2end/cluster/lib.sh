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

PKI="$CLUSTER_STATE/pki"
LOGS="$CLUSTER_STATE/logs"
RUN="$CLUSTER_STATE/run"
API_URL="https://127.0.0.1:$APISERVER_PORT"

kubectl() { "$BIN_K8S/kubectl" --kubeconfig "$KUBECONFIG_OUT" --request-timeout 5s "$@"; }

healthy() { kubectl get --raw /readyz >/dev/null 2>&1; }

start() { # start NAME BINARY ARGS...: in its own process group, logs to $LOGS/NAME.log
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$what did not come up within ${seconds}s; last log lines:"
      tail -n 30 "$LOGS"/*.log >&2 || true
      "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true
      die "$what failed to start (logs in $LOGS)"
    fi
    sleep 0.5
  done
}

# Starts kube-apiserver (etcd must be running) and waits until it is ready.
start_apiserver() {
  log "starting kube-apiserver v$K8S_VERSION on $API_URL"
  start kube-apiserver "$BIN_K8S/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --cert-dir "$PKI" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode RBAC \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true --profiling=false \
    --enable-priority-and-fairness=false \
    --kubelet-preferred-address-types InternalIP
  wait_for kube-apiserver 120 healthy
}
