#!/usr/bin/env bash
# A real S3 server on 127.0.0.1 for the store's tests: versitygw (Apache-2.0, POSIX backend),
# built once from the Go module proxy into $GENNAKER_CACHE/bin.
#
#   s3.sh up     build if needed, start (fresh data), wait until it answers
#   s3.sh down   stop it
#   s3.sh env    print the settings a client needs, as shell assignments
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSITYGW_VERSION=1.8.0
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
BIN="$GENNAKER_CACHE/bin/versitygw-v$VERSITYGW_VERSION"
STATE="${GENNAKER_S3_STATE:-$GENNAKER_CACHE/test-s3}"
PORT="${GENNAKER_S3_PORT:-29000}"
# Test-only credentials for a server that listens on loopback alone.
ACCESS_KEY=gennaker-test
SECRET_KEY=gennaker-test-secret

log() { printf '[s3] %s\n' "$*" >&2; }
die() { printf '[s3] error: %s\n' "$*" >&2; exit 1; }

. "$SERVICES_DIR/lib.sh"
ours() { started_by "$1" "$BIN/versitygw"; }

build() {
  [ -x "$BIN/versitygw" ] && return 0
  command -v go >/dev/null || die "go is not installed (Debian: golang-go)"
  log "building versitygw v$VERSITYGW_VERSION (first time only)"
  rm -rf "$BIN.partial"; mkdir -p "$BIN.partial"
  (cd "$SERVICES_DIR/tools/versitygw" && CGO_ENABLED=0 GOFLAGS=-mod=mod \
    go build -trimpath -ldflags "-s -w" -o "$BIN.partial/" github.com/versity/versitygw/cmd/versitygw)
  rm -rf "$BIN"; mv "$BIN.partial" "$BIN"
}

down() { stop_service "$BIN/versitygw"; }

up() {
  build
  down
  rm -rf "$STATE/data" "$STATE/meta"
  mkdir -p "$STATE/data" "$STATE/meta"
  setsid "$BIN/versitygw" --access "$ACCESS_KEY" --secret "$SECRET_KEY" --port "127.0.0.1:$PORT" \
    posix --sidecar "$STATE/meta" "$STATE/data" >"$STATE/versitygw.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  for _ in $(seq 1 100); do
    # Any HTTP answer (403 without credentials) means it is serving.
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
      log "serving on http://127.0.0.1:$PORT"
      return 0
    fi
    # Gone, not "not ours": while it execs, its command line can read empty for a moment.
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STATE/versitygw.log" >&2 || true
  down
  die "versitygw did not start (log: $STATE/versitygw.log)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    echo "GENNAKER_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT"
    echo "GENNAKER_TEST_S3_ACCESS_KEY=$ACCESS_KEY"
    echo "GENNAKER_TEST_S3_SECRET_KEY=$SECRET_KEY"
    ;;
  *) die "usage: s3.sh up|down|env" ;;
esac
