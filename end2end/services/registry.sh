#!/usr/bin/env bash
# A real container registry on 127.0.0.1 for the tests: Debian's docker-registry (distribution
# 2.8), served over TLS from a private CA, with htpasswd (bcrypt) basic auth, like a production
# registry. `up` pushes small test images, built without a container engine (oci-image.py),
# with skopeo.
#
#   registry.sh up     start (fresh data), wait until it answers, push the test images
#   registry.sh down   stop it
#   registry.sh env    print the settings a client needs, as shell assignments
set -euo pipefail

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GENNAKER_CACHE="${GENNAKER_CACHE:-$HOME/.cache/gennaker}"
STATE="${GENNAKER_REGISTRY_STATE:-$GENNAKER_CACHE/test-registry}"
PORT="${GENNAKER_REGISTRY_PORT:-29500}"
# Pushes are announced to a Gennaker listening here (docker-registry's notifications), for the
# account named "test"; with nobody listening the registry keeps retrying, which harms nothing.
NOTIFY_PORT="${GENNAKER_REGISTRY_NOTIFY_PORT:-29580}"
ADDRESS="127.0.0.1:$PORT"
TLS="$STATE/tls"
# Test-only credentials for a server that listens on loopback alone.
USERNAME=gennaker-test
PASSWORD=gennaker-registry-secret
# The test images: repository, then its tags. Each tag has its own content, so its own digest.
IMAGES=(
  "gennaker/hello 1.0.0 1.1.0 2.0.0"
  "gennaker/worker 0.1.0"
)

log() { printf '[registry] %s\n' "$*" >&2; }
die() { printf '[registry] error: %s\n' "$*" >&2; exit 1; }

. "$SERVICES_DIR/lib.sh"
ours() { started_by "$1" "docker-registry serve $STATE/config.yml"; }

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null || die "$1 is not installed (Debian: $2)"
}

# A private CA and a server certificate for 127.0.0.1 and localhost, kept between runs while
# they are valid for at least another day and match.
certs() {
  if [ -f "$TLS/ca.key" ] && [ -f "$TLS/server.key" ] &&
    openssl x509 -checkend 86400 -noout -in "$TLS/ca.crt" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS/server.crt" >/dev/null 2>&1 &&
    openssl verify -CAfile "$TLS/ca.crt" "$TLS/server.crt" >/dev/null 2>&1 &&
    cmp -s "$TLS/ca.crt" "$TLS/client/ca.crt"; then
    return 0
  fi
  log "creating the test CA and server certificate"
  rm -rf "$TLS.partial"; mkdir -p "$TLS.partial/client"
  (
    umask 077
    cd "$TLS.partial"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -keyout ca.key -out ca.crt -subj "/CN=Gennaker test registry CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
      -extfile server.ext -out server.crt
    rm -f server.csr server.ext ca.srl
    # skopeo's --dest-cert-dir reads every *.crt as a CA and wants a *.cert beside each *.key:
    # it gets a directory holding the CA alone.
    cp ca.crt client/ca.crt
    chmod 644 ca.crt server.crt client/ca.crt; chmod 755 . client
  ) >"$STATE/openssl.log" 2>&1 || { cat "$STATE/openssl.log" >&2; die "openssl failed"; }
  rm -rf "$TLS"; mv "$TLS.partial" "$TLS"
}

config() {
  htpasswd -Bbn "$USERNAME" "$PASSWORD" >"$STATE/htpasswd"
  # The registry's own defaults would listen on every address and, lacking an htpasswd file,
  # invent one: everything it needs is spelled out here.
  cat >"$STATE/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
  fields:
    service: gennaker-test-registry
storage:
  filesystem:
    rootdirectory: $STATE/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $ADDRESS
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  tls:
    certificate: $TLS/server.crt
    key: $TLS/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: gennaker-test-registry
    path: $STATE/htpasswd
# Top level, not under http: the most /v2/_catalog returns in one page (2.8.2's default is 1000).
catalog:
  maxentries: 1000
notifications:
  events:
    includereferences: true
  endpoints:
    - name: gennaker
      url: http://127.0.0.1:$NOTIFY_PORT/webhooks/registry/test
      timeout: 2s
      threshold: 3
      backoff: 500ms
      ignore:
        actions: [pull]
        mediatypes: [application/octet-stream]
EOF
  # skopeo's own trust policy, so the system's /etc/containers/policy.json does not matter.
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$STATE/policy.json"
}

down() { stop_service "docker-registry serve $STATE/config.yml"; }

push_images() {
  local entry repo tags tag
  for entry in "${IMAGES[@]}"; do
    read -r repo tags <<<"$entry"
    # shellcheck disable=SC2086 # tags is a list
    python3 "$SERVICES_DIR/oci-image.py" "$STATE/images/$repo" "$repo" $tags
    for tag in $tags; do
      skopeo --policy "$STATE/policy.json" copy --quiet --preserve-digests \
        --dest-creds "$USERNAME:$PASSWORD" --dest-cert-dir "$TLS/client" \
        "oci:$STATE/images/$repo:$tag" "docker://$ADDRESS/$repo:$tag" >>"$STATE/skopeo.log" 2>&1 ||
        { tail -n 20 "$STATE/skopeo.log" >&2; die "pushing $repo:$tag failed (log: $STATE/skopeo.log)"; }
    done
  done
}

# Builds REPO:TAG (its content changed by BUILD, so the same tag gets a new digest) and copies
# it into the registry with skopeo, as a CI job would push it. Prints the pushed digest.
push_one() {
  [ $# -ge 2 ] || die "usage: registry.sh push REPO TAG [BUILD]"
  local repo="$1" tag="$2" build="${3:-}" dir digest
  dir="$(mktemp -d)"
  GENNAKER_IMAGE_BUILD="$build" python3 "$SERVICES_DIR/oci-image.py" "$dir/layout" "$repo" "$tag"
  skopeo --policy "$STATE/policy.json" copy --quiet --preserve-digests \
    --dest-creds "$USERNAME:$PASSWORD" --dest-cert-dir "$TLS/client" \
    --digestfile "$dir/digest" "oci:$dir/layout:$tag" "docker://$ADDRESS/$repo:$tag" >&2 ||
    { rm -rf "$dir"; die "pushing $repo:$tag failed"; }
  digest="$(cat "$dir/digest")"
  rm -rf "$dir"
  echo "$digest"
}

up() {
  need docker-registry docker-registry
  need skopeo skopeo
  need htpasswd apache2-utils
  need openssl openssl
  need curl curl
  need python3 python3
  need setsid util-linux
  down
  # Something else on the port would answer the readiness check in our server's place.
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (set GENNAKER_REGISTRY_PORT)"
  fi
  mkdir -p "$STATE"
  certs
  rm -rf "$STATE/data" "$STATE/images" "$STATE/skopeo.log"
  mkdir -p "$STATE/data"
  config
  # env -i: REGISTRY_* variables in the caller's environment would override the config file.
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$(command -v docker-registry)" serve "$STATE/config.yml" \
    >"$STATE/registry.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  local code
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$TLS/ca.crt" \
      -u "$USERNAME:$PASSWORD" "https://$ADDRESS/v2/" || true)
    if [ "$code" = 200 ] && ours "$pid"; then
      push_images
      log "serving on https://$ADDRESS with the test images"
      return 0
    fi
    # Gone, not "not ours": while it execs, its command line can read empty for a moment.
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STATE/registry.log" >&2 || true
  down
  die "docker-registry did not start (log: $STATE/registry.log)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    echo "GENNAKER_TEST_REGISTRY_ADDRESS=$ADDRESS"
    echo "GENNAKER_TEST_REGISTRY_USERNAME=$USERNAME"
    echo "GENNAKER_TEST_REGISTRY_PASSWORD=$PASSWORD"
    echo "GENNAKER_TEST_REGISTRY_CA_FILE=$TLS/ca.crt"
    echo "GENNAKER_TEST_REGISTRY_NOTIFY_PORT=$NOTIFY_PORT"
    echo "GENNAKER_TEST_REGISTRY_SCRIPT=$SERVICES_DIR/registry.sh"
    ;;
  push) shift; push_one "$@" ;;
  *) die "usage: registry.sh up|down|env|push REPO TAG [BUILD]" ;;
esac
