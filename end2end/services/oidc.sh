#!/usr/bin/env bash
# A real OpenID Connect provider on 127.0.0.1 for the tests: npm's oidc-provider (the version
# locked in oidc/package-lock.json, installed with `npm ci` into the cache) run by
# oidc-provider.mjs, with one confidential client `gennaker`, a fixed table of users and a plain
# login form (see oidc-provider.mjs). Its keys are made at start, so every `up` begins afresh.
#
#   oidc.sh up     install oidc-provider if needed, start it, wait until discovery answers
#   oidc.sh down   stop it
#   oidc.sh env    print the settings a client needs, as shell assignments
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
STATE="${GENNAKER_OIDC_STATE:-$GENNAKER_CACHE/test-oidc}"
NODE_DIR="$GENNAKER_CACHE/oidc-node"
LOCK_DIR="$SERVICES_DIR/oidc"
PORT="${GENNAKER_OIDC_PORT:-29555}"
ISSUER="http://127.0.0.1:$PORT"

log() { printf '[oidc] %s\n' "$*" >&2; }
die() { printf '[oidc] error: %s\n' "$*" >&2; exit 1; }

. "$SERVICES_DIR/lib.sh"
down() { stop_service "oidc-provider.mjs $PORT"; }

# Reinstalls only when the committed package.json or lock differs from the installed copy.
install() {
  if cmp -s "$LOCK_DIR/package.json" "$NODE_DIR/package.json" &&
    cmp -s "$LOCK_DIR/package-lock.json" "$NODE_DIR/package-lock.json" &&
    [ -f "$NODE_DIR/node_modules/oidc-provider/package.json" ]; then
    return 0
  fi
  log "installing oidc-provider from npm into $NODE_DIR"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp "$LOCK_DIR/package.json" "$LOCK_DIR/package-lock.json" "$NODE_DIR/"
  npm ci --no-audit --no-fund --loglevel=error --prefix "$NODE_DIR" >&2 || {
    rm -rf "$NODE_DIR"
    die "npm ci could not install oidc-provider"
  }
}

up() {
  command -v node >/dev/null || die "node is not installed (Debian: nodejs)"
  command -v npm >/dev/null || die "npm is not installed (Debian: npm)"
  down
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (set GENNAKER_OIDC_PORT)"
  fi
  install
  mkdir -p "$STATE"
  # The port is on the command line so that down() can tell the process is ours.
  GENNAKER_OIDC_NODE_DIR="$NODE_DIR" GENNAKER_OIDC_PORT="$PORT" \
    setsid node "$SERVICES_DIR/oidc-provider.mjs" "$PORT" >"$STATE/oidc.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$ISSUER/.well-known/openid-configuration" 2>/dev/null &&
      started_by "$pid" "oidc-provider.mjs $PORT"; then
      log "serving on $ISSUER (log: $STATE/oidc.log)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STATE/oidc.log" >&2 || true
  down
  die "oidc-provider did not start (log: $STATE/oidc.log)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    echo "GENNAKER_TEST_OIDC_ISSUER=$ISSUER"
    echo "GENNAKER_TEST_OIDC_CLIENT_ID=gennaker"
    echo "GENNAKER_TEST_OIDC_CLIENT_SECRET=gennaker-test-secret"
    ;;
  *) die "usage: oidc.sh up|down|env" ;;
esac
