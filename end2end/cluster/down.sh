#!/usr/bin/env bash
# Stops the local cluster started by up.sh and leaves no process behind: SIGTERM to each
# component (newest first), then SIGKILL to whatever has not exited after 10 seconds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="$CLUSTER_STATE/run"
[ -d "$RUN" ] || exit 0

ours() { # ours PID: the process was started from one of our cached binaries
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "$GENNAKER_CACHE/bin/"
}

stopped=()
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pidfile="$RUN/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    stopped+=("$pid")
    # etcd last, after the API server has let go of it.
    if [ "$name" = kube-apiserver ]; then
      for _ in $(seq 1 50); do ours "$pid" || break; sleep 0.2; done
    fi
  fi
  rm -f "$pidfile"
done

for _ in $(seq 1 50); do
  alive=0
  for pid in "${stopped[@]}"; do ours "$pid" && alive=1; done
  [ $alive -eq 0 ] && break
  sleep 0.2
done
for pid in "${stopped[@]}"; do
  if ours "$pid"; then
    log "process $pid did not stop on SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
[ ${#stopped[@]} -gt 0 ] && log "stopped ${#stopped[@]} processes"
exit 0
