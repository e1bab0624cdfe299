#!/usr/bin/env bash
# The spin CLI (Spinnaker's command line, v1.30.0), built once from the Go module proxy into
# $GENNAKER_CACHE/bin, for the Gate API tests (server/tests/gate.rs). It is a client: nothing
# runs in the background.
#
#   spin.sh build   build if needed (about 20 s the first time)
#   spin.sh env     print GENNAKER_TEST_SPIN=<path>, as a shell assignment
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"
SPIN_VERSION=1.30.0

case "${1:-}" in
  build) go_tool_build spin "$SPIN_VERSION" github.com/spinnaker/spin ;;
  env) echo "GENNAKER_TEST_SPIN=$(go_tool_path spin "$SPIN_VERSION")" ;;
  *) printf '[spin] error: usage: spin.sh build|env\n' >&2; exit 1 ;;
esac
