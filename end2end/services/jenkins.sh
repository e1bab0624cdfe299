#!/usr/bin/env bash
# A fake Jenkins on 127.0.0.1 for the tests (fake-jenkins.py: Jenkins' remote-access API for
# starting builds, following the queue, reading builds and their artifacts, with basic auth by
# API token). Maven Central does not serve the Jenkins war, so a real one cannot be installed.
#
#   jenkins.sh up     start it and wait until it answers
#   jenkins.sh down   stop it
#   jenkins.sh env    print the settings a client needs, as shell assignments
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
STATE="${GENNAKER_JENKINS_STATE:-$GENNAKER_CACHE/test-jenkins}"
PORT="${GENNAKER_JENKINS_PORT:-29180}"
URL="http://127.0.0.1:$PORT/"
# Test-only credentials for a server that listens on loopback alone.
USERNAME=gennaker-ci
TOKEN=11d5f2c7a9e04b3f8c6d1e2a7b9c0f4e55

log() { printf '[jenkins] %s\n' "$*" >&2; }
die() { printf '[jenkins] error: %s\n' "$*" >&2; exit 1; }

. "$SERVICES_DIR/lib.sh"
down() { stop_service "fake-jenkins.py $PORT"; }

up() {
  command -v python3 >/dev/null || die "python3 is not installed (Debian: python3)"
  command -v curl >/dev/null || die "curl is not installed (Debian: curl)"
  down
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (set GENNAKER_JENKINS_PORT)"
  fi
  mkdir -p "$STATE"
  (umask 077; printf '%s\n' "$TOKEN" >"$STATE/token")
  setsid python3 "$SERVICES_DIR/fake-jenkins.py" "$PORT" "$USERNAME" "$STATE/token" \
    >"$STATE/jenkins.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null --max-time 2 -u "$USERNAME:$TOKEN" "${URL}api/json" && started_by "$pid" "fake-jenkins.py $PORT"; then
      log "serving on $URL"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STATE/jenkins.log" >&2 || true
  down
  die "fake-jenkins.py did not start (log: $STATE/jenkins.log)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    echo "GENNAKER_TEST_JENKINS_URL=$URL"
    echo "GENNAKER_TEST_JENKINS_USERNAME=$USERNAME"
    echo "GENNAKER_TEST_JENKINS_TOKEN_FILE=$STATE/token"
    ;;
  *) die "usage: jenkins.sh up|down|env" ;;
esac
