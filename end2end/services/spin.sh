#!/usr/bin/env bash
# The spin CLI (Spinnaker's command line, v1.30.0), built once from the Go module proxy into
# $GENNAKER_CACHE/bin, for the Gate API tests (server/tests/gate.rs). It is a client: nothing
# runs in the background.
#
#   spin.sh build   build if needed (about 20 s the first time)
#   spin.sh env     print GENNAKER_TEST_SPIN=<path>, as a shell assignment
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPIN_VERSION=1.30.0
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
BIN="$GENNAKER_CACHE/bin/spin-v$SPIN_VERSION"

log() { printf '[spin] %s\n' "$*" >&2; }
die() { printf '[spin] error: %s\n' "$*" >&2; exit 1; }

build() {
  [ -x "$BIN/spin" ] && return 0
  command -v go >/dev/null || die "go is not installed (Debian: golang-go)"
  log "building spin v$SPIN_VERSION (first time only)"
  rm -rf "$BIN.partial"; mkdir -p "$BIN.partial"
  (cd "$SERVICES_DIR/tools/spin" && CGO_ENABLED=0 GOFLAGS=-mod=mod \
    go build -trimpath -ldflags "-s -w" -o "$BIN.partial/" github.com/spinnaker/spin)
  rm -rf "$BIN"; mv "$BIN.partial" "$BIN"
  log "built $BIN/spin"
}

case "${1:-}" in
  build) build ;;
  env) echo "GENNAKER_TEST_SPIN=$BIN/spin" ;;
  *) die "usage: spin.sh build|env" ;;
esac
