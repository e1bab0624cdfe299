# Shared settings for the project's scripts. Sourced, never run.
# Tools and build outputs live outside the clone, under $GENNAKER_CACHE, so a fresh clone
# reuses them and a second run is quick.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
# One shared target directory for every build. Cargo names a workspace crate's artifacts by its
# path inside the workspace, so clones share them: a fresh clone (newer files) rebuilds the
# workspace crates and reuses every dependency. Going back to an older clone afterwards, touch
# its sources (find app frontend server -name '*.rs' -exec touch {} +) before building.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$GENNAKER_CACHE/target}"

CARGO_LEPTOS_VERSION=0.3.10
TOOLS="$GENNAKER_CACHE/tools"
# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, "", $0); print; exit }' "$REPO_ROOT/Cargo.lock")"

export PATH="$TOOLS/cargo-leptos-$CARGO_LEPTOS_VERSION/bin:$TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION/bin:$REPO_ROOT/end2end/node_modules/.bin:$PATH"

GENNAKER_BIN="$CARGO_TARGET_DIR/release/gennaker"
SITE_ROOT="$REPO_ROOT/target/site"

# Builds the release server and the WASM bundle: split into a chunk per lazily loaded page
# (--split), each file named with a hash of its content (hash-files in Cargo.toml) and written
# beside its brotli and gzip forms (--precompress), which the server sends as they are. The list
# of hashed names goes into the site root too, so the site directory describes itself.
# Hashing and precompressing make cargo-leptos build the two one after the other; built as two
# commands they run side by side again (the server reads the hashed names when it starts).
build_release() {
  (
    build_frontend &
    local frontend=$!
    cd "$REPO_ROOT" && cargo leptos build --release --server-only || { kill "$frontend"; exit 1; }
    wait "$frontend"
  )
}
# The browser bundle alone (make test pairs it with the debug server its tests build).
# Paths of the crates' sources end up in the bundle (panic locations): written relative to the
# registry, the bundle is the same bytes wherever the registry is, and a little smaller.
# RUSTFLAGS replaces the target's rustflags of .cargo/config.toml instead of adding to them, so
# its link argument (one data segment per constant, see there) is given here again: without it
# the first download grew by 50 KB.
build_frontend() {
  local registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
  (cd "$REPO_ROOT" && RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=--no-merge-data-segments --remap-path-prefix=$registry=crates" \
    cargo leptos build --release --split --precompress --frontend-only)
  cp "$CARGO_TARGET_DIR/release/hash.txt" "$SITE_ROOT/hash.txt"
}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
