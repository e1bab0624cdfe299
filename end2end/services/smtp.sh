#!/usr/bin/env bash
# A real SMTP server on 127.0.0.1 for the tests: aiosmtpd (from PyPI, in a virtualenv kept in
# the cache) with its Mailbox handler, so every message it accepts is a file in a Maildir the
# tests read.
#
#   smtp.sh up     install aiosmtpd if needed, start it with an empty Maildir, wait until it answers
#   smtp.sh down   stop it
#   smtp.sh env    print the settings a client needs, as shell assignments
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
STATE="${GENNAKER_SMTP_STATE:-$GENNAKER_CACHE/test-smtp}"
VENV="$GENNAKER_CACHE/smtp-venv"
AIOSMTPD_VERSION=1.4.6
PORT="${GENNAKER_SMTP_PORT:-29525}"

log() { printf '[smtp] %s\n' "$*" >&2; }
die() { printf '[smtp] error: %s\n' "$*" >&2; exit 1; }

. "$SERVICES_DIR/lib.sh"
down() { stop_service "aiosmtpd -n -l 127.0.0.1:$PORT"; }

install() {
  if "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
    return 0
  fi
  log "installing aiosmtpd $AIOSMTPD_VERSION from PyPI into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" ||
    die "pip could not install aiosmtpd"
}

up() {
  command -v python3 >/dev/null || die "python3 is not installed (Debian: python3)"
  down
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (set GENNAKER_SMTP_PORT)"
  fi
  install
  rm -rf "$STATE/maildir"
  mkdir -p "$STATE/maildir/tmp" "$STATE/maildir/new" "$STATE/maildir/cur"
  setsid "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$PORT" \
    -c aiosmtpd.handlers.Mailbox "$STATE/maildir" >"$STATE/smtp.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && started_by "$pid" "aiosmtpd -n -l 127.0.0.1:$PORT"; then
      log "serving on 127.0.0.1:$PORT, mail in $STATE/maildir"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STATE/smtp.log" >&2 || true
  down
  die "aiosmtpd did not start (log: $STATE/smtp.log)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    echo "GENNAKER_TEST_SMTP_PORT=$PORT"
    echo "GENNAKER_TEST_SMTP_MAILDIR=$STATE/maildir"
    ;;
  *) die "usage: smtp.sh up|down|env" ;;
esac
