# Sourced by the scripts that build a Go command from a wrapper module under tools/ (spin.sh,
# helm.sh): go_tool_build NAME VERSION PACKAGE builds PACKAGE once into
# $GENNAKER_CACHE/bin/NAME-vVERSION, through a .partial directory so an interrupted build is
# never mistaken for a finished one; go_tool_path NAME VERSION prints where the binary is.
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

go_tool_path() { echo "$GENNAKER_CACHE/bin/$1-v$2/$1"; }

go_tool_build() {
  local name=$1 version=$2 package=$3
  local bin="$GENNAKER_CACHE/bin/$name-v$version"
  [ -x "$bin/$name" ] && return 0
  command -v go >/dev/null || { printf '[%s] error: go is not installed (Debian: golang-go)\n' "$name" >&2; exit 1; }
  printf '[%s] building %s v%s (first time only)\n' "$name" "$name" "$version" >&2
  rm -rf "$bin.partial"; mkdir -p "$bin.partial"
  (cd "$SERVICES_DIR/tools/$name" && CGO_ENABLED=0 GOFLAGS=-mod=mod \
    go build -trimpath -ldflags "-s -w" -o "$bin.partial/" "$package")
  rm -rf "$bin"; mv "$bin.partial" "$bin"
  printf '[%s] built %s\n' "$name" "$bin/$name" >&2
}
