#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, clippy on the server (ssr) and browser
# (hydrate, wasm32) builds, the release browser bundle, a fresh local Kubernetes cluster, unit and
# integration tests, the browser tests against the server they built, then the first-load budget.
# Stops what it started.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
started=$SECONDS

# Each phase's duration, printed as a table when the run ends (also when it fails), so a slow
# cold run shows where its time went.
phases=()
phase_name="" phase_started=$SECONDS
phase() {
  phase_end
  step "$*"
  phase_name="$*" phase_started=$SECONDS
}
phase_end() {
  [ -n "$phase_name" ] && phases+=("$((SECONDS - phase_started))	$phase_name")
  phase_name=""
}
phase_table() {
  phase_end
  printf '\n%6s  %s\n' "s" "phase" >&2
  local row
  for row in "${phases[@]}"; do printf '%6s  %s\n' "${row%%	*}" "${row#*	}" >&2; done
  printf '%6s  %s\n' "$((SECONDS - started))" "total" >&2
}
trap phase_table EXIT

# Work that needs no other phase runs beside the foreground ones, niced, so a cold run fills the
# cores a build leaves idle (a crate's last codegen unit, a link): the build tools, the cluster's
# Go binaries, the debug build of the tests. Each writes a log, shown when it fails.
background_dir="$(mktemp -d)"
declare -A background_pid=() background_what=()
background() { # background KEY DESCRIPTION COMMAND...
  local key=$1 what=$2; shift 2
  setsid bash -c 'started=$SECONDS; nice -n 10 "$@"; rc=$?; echo "$((SECONDS - started))" >"$0.seconds"; exit $rc' \
    "$background_dir/$key" "$@" >"$background_dir/$key.log" 2>&1 &
  background_pid[$key]=$!
  background_what[$key]=$what
}
await() { # await KEY: waits for a background job; its duration joins the phase table
  local key=$1 what=${background_what[$1]}
  if ! wait "${background_pid[$key]}"; then
    cat "$background_dir/$key.log" >&2
    die "$what failed (its output is above)"
  fi
  unset "background_pid[$key]"
  tail -n 3 "$background_dir/$key.log" >&2
  phases+=("$(cat "$background_dir/$key.seconds")	beside the others: $what")
}
stop_background() {
  local pid
  for pid in "${background_pid[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  rm -rf "$background_dir"
}
trap 'phase_table; stop_background' EXIT

phase "setup: Debian packages, Rust targets, npm packages"
"$REPO_ROOT/scripts/setup.sh" packages
background tools "build tools (cargo-leptos, wasm-bindgen)" "$REPO_ROOT/scripts/setup.sh" tools
background cluster "the local cluster's binaries (Go module proxy, cached)" "$REPO_ROOT/end2end/cluster/build.sh"
background spin "the spin CLI for the Gate API tests (Go module proxy, cached)" "$REPO_ROOT/end2end/services/spin.sh" build
background helm "Helm for the Bake (Manifest) tests (Go module proxy, cached)" "$REPO_ROOT/end2end/services/helm.sh" build

phase "cargo fmt --check"
cargo fmt --all -- --check

phase "clippy: server and UI (ssr)"
cargo clippy --locked -p gennaker -p gennaker-app -p gennaker-core --all-targets -- -D warnings
phase "clippy: browser bundle (hydrate, wasm32)"
cargo clippy --locked -p gennaker-frontend -p gennaker-app -p gennaker-core --target wasm32-unknown-unknown -- -D warnings

# The tests and the browser tests use one server binary, the debug build `cargo test` makes for
# the integration tests: one build of the server instead of a debug and a release one. It is
# built with `--cfg erase_components` like the browser bundle (always-erase-components in
# Cargo.toml), so the server's HTML and the bundle's hydration are the same code as a release.
# Incremental caches only grow in CI-style runs (every clone rebuilds the workspace crates).
export CARGO_INCREMENTAL=0
test_env=(env RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components")
background tests "debug build of the server and the tests" "${test_env[@]}" cargo test --locked -p gennaker -p gennaker-app -p gennaker-core --no-run
phase "build tools, then the browser bundle (cargo leptos build --release --split --precompress --frontend-only)"
await tools
build_frontend
phase "debug build of the server and the tests"
await tests

# The test services have their own state and ports, so a cluster from `make run` is left alone.
export GENNAKER_CLUSTER_STATE="$GENNAKER_CACHE/test-cluster"
export GENNAKER_ETCD_CLIENT_PORT=33790 GENNAKER_ETCD_PEER_PORT=33800 GENNAKER_APISERVER_PORT=26443
export GENNAKER_CONTROLLER_MANAGER_PORT=20257 GENNAKER_SCHEDULER_PORT=20259 GENNAKER_KWOK_PORT=20247
trap 'phase_table; stop_background; "$REPO_ROOT/end2end/cluster/down.sh"; "$REPO_ROOT/end2end/services/s3.sh" down; "$REPO_ROOT/end2end/services/registry.sh" down; "$REPO_ROOT/end2end/services/jenkins.sh" down; "$REPO_ROOT/end2end/services/smtp.sh" down; "$REPO_ROOT/end2end/services/oidc.sh" down' EXIT
phase "the local cluster's binaries (Go module proxy, cached)"
await cluster
phase "starting the local Kubernetes cluster"
"$REPO_ROOT/end2end/cluster/up.sh" --fresh
export KUBECONFIG="$GENNAKER_CLUSTER_STATE/kubeconfig"
. "$REPO_ROOT/end2end/cluster/versions.env"
export GENNAKER_KUBECTL="$GENNAKER_CACHE/bin/kubernetes-v$K8S_VERSION/kubectl"
phase "starting the S3 server (versitygw)"
"$REPO_ROOT/end2end/services/s3.sh" up
eval "$("$REPO_ROOT/end2end/services/s3.sh" env | sed 's/^/export /')"
phase "starting the container registry (docker-registry, TLS + basic auth)"
"$REPO_ROOT/end2end/services/registry.sh" up
eval "$("$REPO_ROOT/end2end/services/registry.sh" env | sed 's/^/export /')"
phase "starting the test Jenkins (fake-jenkins.py: Jenkins' remote-access API, API token auth)"
"$REPO_ROOT/end2end/services/jenkins.sh" up
eval "$("$REPO_ROOT/end2end/services/jenkins.sh" env | sed 's/^/export /')"
phase "starting the SMTP server (aiosmtpd from PyPI, writing a Maildir)"
"$REPO_ROOT/end2end/services/smtp.sh" up
eval "$("$REPO_ROOT/end2end/services/smtp.sh" env | sed 's/^/export /')"
phase "starting the OpenID Connect provider (oidc-provider from npm)"
"$REPO_ROOT/end2end/services/oidc.sh" up
eval "$("$REPO_ROOT/end2end/services/oidc.sh" env | sed 's/^/export /')"

phase "the spin CLI (Go module proxy, cached)"
await spin
eval "$("$REPO_ROOT/end2end/services/spin.sh" env | sed 's/^/export /')"
phase "Helm (Go module proxy, cached)"
await helm
eval "$("$REPO_ROOT/end2end/services/helm.sh" env | sed 's/^/export /')"

phase "unit and integration tests"
"${test_env[@]}" cargo test --locked -p gennaker -p gennaker-app -p gennaker-core

phase "browser tests (Playwright + chromium)"
(
  cd "$REPO_ROOT/end2end"
  GENNAKER_BIN="$CARGO_TARGET_DIR/debug/gennaker" GENNAKER_SITE_ROOT="$SITE_ROOT" npm test
)

phase "first-load budget (end2end/budget.json)"
(
  cd "$REPO_ROOT/end2end"
  GENNAKER_BIN="$CARGO_TARGET_DIR/debug/gennaker" GENNAKER_SITE_ROOT="$SITE_ROOT" npm run --silent budget
)

phase_end
step "all tests passed in $((SECONDS - started)) s"
