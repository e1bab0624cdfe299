#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 — etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler — plus kwok with fake nodes so Pods get scheduled and
# become Running and Ready. Waits until it is healthy and writes a kubeconfig (context "local")
# to $CLUSTER_STATE/kubeconfig. Idempotent: a healthy running cluster is left as it is.
#
#   up.sh [--fresh]     --fresh wipes the cluster's data (etcd) before starting
#
# Environment: GENNAKER_CLUSTER_STATE (where state lives), GENNAKER_*_PORT (see lib.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fresh=false
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=true ;;
    *) die "unknown argument $arg (expected --fresh)" ;;
  esac
done

command -v openssl >/dev/null || die "openssl is missing (Debian: apt-get install openssl)"
command -v curl >/dev/null || die "curl is missing (Debian: apt-get install curl)"
command -v setsid >/dev/null || die "setsid is missing (Debian: apt-get install util-linux)"
"$CLUSTER_DIR/build.sh"

mkdir -p "$PKI" "$LOGS" "$RUN"
rm -f "$LOGS"/*.log

running() { # running NAME: its pid file names a live process started from our binaries
  local pidfile="$RUN/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$GENNAKER_CACHE/bin/"
}

all_running() {
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    running "$name" || return 1
  done
}

if all_running && healthy && [ "$fresh" = false ]; then
  log "already running: KUBECONFIG=$KUBECONFIG_OUT"
  exit 0
fi
"$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true
if [ "$fresh" = true ]; then rm -rf "$CLUSTER_STATE/etcd"; fi

# --- certificates: one CA, a serving cert for the API server, a client cert for the admin ---
if [ ! -f "$PKI/admin.crt" ]; then
  log "creating certificates in $PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=gennaker-local-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    cat >apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=gennaker-admin" -keyout admin.key -out admin.csr 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
fi

# --- the kubeconfig, self-contained (certificates inlined) ---
b64() { base64 -w0 <"$1"; }
cat >"$KUBECONFIG_OUT.tmp" <<EOF
apiVersion: v1
kind: Config
current-context: local
clusters:
- name: local
  cluster:
    server: $API_URL
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: gennaker-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: local
  context:
    cluster: local
    user: gennaker-admin
EOF
mv "$KUBECONFIG_OUT.tmp" "$KUBECONFIG_OUT"
chmod 600 "$KUBECONFIG_OUT"

log "starting etcd v$ETCD_VERSION"
start etcd "$BIN_ETCD/etcd" \
  --name local --data-dir "$CLUSTER_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --listen-metrics-urls "" --unsafe-no-fsync --quota-backend-bytes 4294967296
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

start_apiserver

cat >"$RUN/component.kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: local
clusters:
- name: local
  cluster: {server: "$API_URL", certificate-authority: "$PKI/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$PKI/admin.crt", client-key: "$PKI/admin.key"}
contexts:
- name: local
  context: {cluster: local, user: admin}
EOF

log "starting kube-controller-manager and kube-scheduler"
start kube-controller-manager "$BIN_K8S/kube-controller-manager" \
  --kubeconfig "$RUN/component.kubeconfig" --bind-address 127.0.0.1 \
  --secure-port "$CONTROLLER_MANAGER_PORT" --cert-dir "$RUN/controller-manager-certs" \
  --leader-elect=false --service-account-private-key-file "$PKI/sa.key" \
  --root-ca-file "$PKI/ca.crt" --service-cluster-ip-range "$SERVICE_CIDR" \
  --cluster-cidr "$POD_CIDR" --allocate-node-cidrs=false --profiling=false \
  --node-monitor-grace-period=5m
# The fake nodes' heartbeats come from kwok; on a busy shared machine one can be late, and the
# node lifecycle controller would then mark every Pod on the node not Ready (kwok does not mark
# them Ready again). A long grace period keeps a late heartbeat from failing tests.
start kube-scheduler "$BIN_K8S/kube-scheduler" \
  --kubeconfig "$RUN/component.kubeconfig" --bind-address 127.0.0.1 \
  --secure-port "$SCHEDULER_PORT" --cert-dir "$RUN/scheduler-certs" --leader-elect=false \
  --profiling=false

# kwok's config: its Pod stages, and one log every container "writes" (kwok serves a file as
# the logs, through the kubelet API the API server calls for pods/log).
{
  for stage in "$BIN_KWOK"/stages/*.yaml; do cat "$stage"; printf '\n---\n'; done
  cat <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: every-container}
spec:
  logs:
  - logsFile: $CLUSTER_DIR/container.log
    follow: false
EOF
} >"$RUN/kwok.yaml"

log "starting kwok v$KWOK_VERSION with $FAKE_NODES fake nodes"
start kwok "$BIN_KWOK/kwok" \
  --kubeconfig "$RUN/component.kubeconfig" --config "$RUN/kwok.yaml" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --node-port "$KWOK_PORT" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr "$POD_CIDR" --node-ip 127.0.0.1 --node-lease-duration-seconds 40 \
  --server-address "127.0.0.1:$KWOK_PORT"

for i in $(seq 0 $((FAKE_NODES - 1))); do
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
done | kubectl apply -f - >/dev/null
wait_for "kwok nodes" 60 kubectl wait --for=condition=Ready node --all --timeout=1s
# The controller manager creates the default ServiceAccount; Pods cannot be made before it exists.
wait_for "the default ServiceAccount" 60 kubectl get serviceaccount default --namespace default

log "ready: export KUBECONFIG=$KUBECONFIG_OUT"
