# Shared by the service scripts (s3.sh, registry.sh); source it after setting STATE and
# defining log(). A service's pid file is "$STATE/pid".

# started_by PID TEXT: whether process PID is running with TEXT in its command line. A process
# that exits between the test and the read is simply not ours.
started_by() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$2"; }

# stop_service TEXT: stops the process "$STATE/pid" names if it is still the one we started
# (TERM, up to 5 s, then KILL), and forgets the pid file.
stop_service() {
  [ -f "$STATE/pid" ] || return 0
  local pid; pid=$(cat "$STATE/pid")
  if started_by "$pid" "$1"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do started_by "$pid" "$1" || break; sleep 0.1; done
    started_by "$pid" "$1" && kill -KILL "$pid" 2>/dev/null || true
    log "stopped"
  fi
  rm -f "$STATE/pid"
}
