#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy, each once per pinned version:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes), etcd, kwok.
# Idempotent: a binary already in the cache is not rebuilt.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v go >/dev/null || die "go is not installed; install Go 1.24 or newer (Debian: golang-go)"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# build_into DIR MODULE_DIR LDFLAGS PACKAGE... : go build into a temporary directory, then move
# the result into place, so an interrupted build never leaves a half-written binary in the cache.
build_into() {
  local dest=$1 module=$2 ldflags=$3; shift 3
  local tmp="$dest.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"
  log "building $* (first time only, this takes a while)"
  (cd "$CLUSTER_DIR/tools/$module" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "$@")
  rm -rf "$dest"; mv "$tmp" "$dest"
}

k8s_ready=true
for tool in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$BIN_K8S/$tool" ] || k8s_ready=false
done
if [ "$k8s_ready" = false ]; then
  IFS=. read -r major minor _ <<<"$K8S_VERSION"
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  build_into "$BIN_K8S" kubernetes "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
fi

if [ ! -x "$BIN_ETCD/etcd" ]; then
  # The main package path ends in /v3, so go names the binary "server"; call it etcd.
  build_into "$BIN_ETCD" etcd "-s -w" go.etcd.io/etcd/server/v3
  mv "$BIN_ETCD/server" "$BIN_ETCD/etcd"
fi

if [ ! -x "$BIN_KWOK/kwok" ]; then
  build_into "$BIN_KWOK" kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
fi

# kwok's own Pod stages (Ready, Complete, Delete, and the chaos stage that fails a labelled Pod's
# container), read from its module: the cluster runs kwok with a config of these stages plus
# simulated logs, and a config with any Pod stage replaces kwok's built-in ones.
if [ ! -f "$BIN_KWOK/stages/pod-ready.yaml" ]; then
  kwok_dir=$(cd "$CLUSTER_DIR/tools/kwok" && go mod download sigs.k8s.io/kwok &&
    go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  rm -rf "$BIN_KWOK/stages.partial"; mkdir -p "$BIN_KWOK/stages.partial"
  cp "$kwok_dir"/kustomize/stage/pod/fast/pod-{ready,complete,delete}.yaml \
    "$kwok_dir"/kustomize/stage/pod/chaos/pod-container-running-failed.yaml "$BIN_KWOK/stages.partial/"
  rm -rf "$BIN_KWOK/stages"; mv "$BIN_KWOK/stages.partial" "$BIN_KWOK/stages"
fi

log "binaries ready: $BIN_K8S, $BIN_ETCD, $BIN_KWOK"
