#!/usr/bin/env bash
# Benchmarks that print figures (never asserted in tests): listing 1,000 applications through
# the API, and start-to-ready with 10,000 stored tasks, on the embedded store and on a real S3
# server (versitygw, started and stopped here).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
export GENNAKER_S3_STATE="$GENNAKER_CACHE/bench-s3" GENNAKER_S3_PORT=29100
trap '"$REPO_ROOT/end2end/services/s3.sh" down' EXIT
"$REPO_ROOT/end2end/services/s3.sh" up
eval "$("$REPO_ROOT/end2end/services/s3.sh" env | sed 's/^/export /')"
cargo bench --locked -p gennaker --bench list_applications
cargo bench --locked -p gennaker --bench task_startup
cargo bench --locked -p gennaker --bench pipeline_engine
