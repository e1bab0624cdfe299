#!/usr/bin/env bash
# Installs what building, running and testing Gennaker needs, each piece only when missing:
# Debian packages, the wasm32 target, cargo-leptos, wasm-bindgen-cli, npm packages (Playwright,
# wasm-opt). The local cluster's binaries are built by end2end/cluster/build.sh.
#   setup.sh            everything
#   setup.sh packages   Debian packages, Rust targets and components, npm packages
#   setup.sh tools      the cargo-installed build tools (minutes the first time; make test
#                       builds them beside clippy)
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
part="${1:-all}"
case "$part" in all | packages | tools) ;; *) die "setup.sh: unknown part '$part' (all, packages or tools)" ;; esac

packages() {
  # Debian packages: chromium for the browser tests; openssl, curl and setsid for the local cluster;
  # docker-registry, skopeo, htpasswd and python3 for the test container registry.
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v setsid >/dev/null || missing+=(util-linux)
  command -v go >/dev/null || missing+=(golang-go)
  command -v npm >/dev/null || missing+=(npm)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v python3 >/dev/null || missing+=(python3)
  # The build tools link the system's OpenSSL instead of compiling their vendored copy.
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi

  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  for component in clippy rustfmt; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component"
  done

  # npm packages: playwright-core and binaryen's wasm-opt (Debian's is too old to hydrate).
  stamp="$REPO_ROOT/end2end/node_modules/.package-lock.sha"
  lock_sha="$(sha256sum "$REPO_ROOT/end2end/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sha" ]; then
    step "installing npm packages in end2end/"
    (cd "$REPO_ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sha" >"$stamp"
  fi
}

tools() {
  # cargo install writes into a temporary root, then moves it into place, so an interrupted
  # install is never mistaken for a finished one.
  install_crate() { # install_crate NAME VERSION DIR [cargo install args...]
    local name=$1 version=$2 dir=$3; shift 3
    [ -x "$dir/bin/$name" ] && return 0
    step "installing $name $version into $dir (first time only)"
    rm -rf "$dir.partial"
    # These are build tools, not the product: a quick build beats the fat LTO their manifests ask for.
    # OPENSSL_NO_VENDOR: cargo-leptos asks for a vendored OpenSSL; Debian's libssl-dev saves building it.
    OPENSSL_NO_VENDOR=1 \
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
      cargo install "$@" --root "$dir.partial" --target-dir "$GENNAKER_CACHE/install-target"
    rm -rf "$dir"; mv "$dir.partial" "$dir"
}
install_crate cargo-leptos "$CARGO_LEPTOS_VERSION" "$TOOLS/cargo-leptos-$CARGO_LEPTOS_VERSION" \
  cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
# Without --locked: wasm-bindgen-cli's own lockfile names a crate version the registry lacks.
install_crate wasm-bindgen "$WASM_BINDGEN_VERSION" "$TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION" \
  wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"

}

case "$part" in
  all) packages; tools ;;
  packages) packages ;;
  tools) tools ;;
esac
