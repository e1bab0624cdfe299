#!/usr/bin/env bash
# Builds a release and serves Gennaker at http://127.0.0.1:8080 (GENNAKER_LISTEN changes it).
# With no kubeconfig ($KUBECONFIG or ~/.kube/config), starts the local cluster from end2end/
# and registers it as the account "local". Extra arguments are passed to the server.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"
step "release build (cargo leptos build --release --split --precompress)"
build_release

if [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ]; then
  step "no kubeconfig found: starting the local cluster (end2end/cluster/up.sh)"
  "$REPO_ROOT/end2end/cluster/up.sh"
  export KUBECONFIG="$GENNAKER_CACHE/cluster/kubeconfig"
  echo "Stop it with end2end/cluster/down.sh; it keeps its data between runs." >&2
fi

step "serving Gennaker (Ctrl-C stops it)"
exec "$GENNAKER_BIN" --site-root "$SITE_ROOT" "$@"
