#!/usr/bin/env bash
# Helm (helm.sh/helm/v4), built once from the Go module proxy into $GENNAKER_CACHE/bin, for the
# Bake (Manifest) tests (server/tests/bake.rs). Gennaker runs it as a child process to render a
# chart; nothing runs in the background.
#
#   helm.sh build   build if needed (about 3 minutes the first time)
#   helm.sh env     print GENNAKER_TEST_HELM=<path>, as a shell assignment
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"
HELM_VERSION=4.3.2

case "${1:-}" in
  build) go_tool_build helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm ;;
  env) echo "GENNAKER_TEST_HELM=$(go_tool_path helm "$HELM_VERSION")" ;;
  *) printf '[helm] error: usage: helm.sh build|env\n' >&2; exit 1 ;;
esac
