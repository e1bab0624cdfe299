#!/usr/bin/env bash
# Stops or starts only the local cluster's kube-apiserver, for outage drills: etcd, the
# controllers and kwok keep running, as they would while a control-plane node restarts.
#
#   apiserver.sh kill    SIGKILL the API server (an abrupt outage) and wait until it is gone
#   apiserver.sh start   start it again and wait until /readyz answers
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pidfile="$RUN/kube-apiserver.pid"
case "${1:-}" in
  kill)
    [ -f "$pidfile" ] || die "no kube-apiserver is running (no $pidfile)"
    pid=$(cat "$pidfile")
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    rm -f "$pidfile"
    log "kube-apiserver ($pid) killed"
    ;;
  start)
    start_apiserver
    ;;
  *) die "usage: apiserver.sh kill|start" ;;
esac
