#!/usr/bin/env bash
# Helm (helm.sh/helm/v4), built once from the Go module proxy into $GENNAKER_CACHE/bin, for the
# Bake (Manifest) tests (server/tests/bake.rs). Gennaker runs it as a child process to render a
# chart; nothing runs in the background.
#
#   helm.sh build   build if needed (a few minutes the first time)
#   helm.sh env     print GENNAKER_TEST_HELM=<path>, as a shell assignment
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELM_VERSION=4.3.2
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
BIN="$GENNAKER_CACHE/bin/helm-v$HELM_VERSION"

log() { printf '[helm] %s\n' "$*" >&2; }
die() { printf '[helm] error: %s\n' "$*" >&2; exit 1; }

build() {
  [ -x "$BIN/helm" ] && return 0
  command -v go >/dev/null || die "go is not installed (Debian: golang-go)"
  log "building helm v$HELM_VERSION (first time only)"
  rm -rf "$BIN.partial"; mkdir -p "$BIN.partial"
  (cd "$SERVICES_DIR/tools/helm" && CGO_ENABLED=0 GOFLAGS=-mod=mod \
    go build -trimpath -ldflags "-s -w" -o "$BIN.partial/" helm.sh/helm/v4/cmd/helm)
  rm -rf "$BIN"; mv "$BIN.partial" "$BIN"
  log "built $BIN/helm"
}

case "${1:-}" in
  build) build ;;
  env) echo "GENNAKER_TEST_HELM=$BIN/helm" ;;
  *) die "usage: helm.sh build|env" ;;
esac
