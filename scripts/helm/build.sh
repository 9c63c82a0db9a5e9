#!/usr/bin/env bash
# Builds `helm` (v3) from the Go module proxy into the ignored .cache/helm/bin, for the deploy
# engine's `helm` render kind (packages/deploy: `helm template`). Nothing built here is committed.
#
# usage: scripts/helm/build.sh     (prints the binary's path on its last line)
# Idempotent: skipped when .cache/helm/bin/helm already reports $HELM_VERSION.
#
# Why this version: helm.sh/helm/v3 v3.21.4 is the newest v3 release the module proxy reachable
# here serves whole (v3.22.0 is served but not approved; /work/.library/env/packages/go-partial.tsv).
# `go install pkg@version` builds it in module mode from helm's own go.mod (no replaces needed).
set -euo pipefail

HELM_VERSION=v3.21.4

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.cache/helm/bin"

say() { echo "== helm/build: $*" >&2; }
fail() {
  echo "helm/build.sh: $*" >&2
  exit 1
}

built() {
  [ -x "$bin/helm" ] && "$bin/helm" version --template '{{.Version}}' 2>/dev/null | grep -xF "$HELM_VERSION" >/dev/null
}

if built; then
  say "helm $HELM_VERSION is already built"
else
  command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null 2>&1 || fail "no go in PATH or /usr/local/go/bin (helm $HELM_VERSION needs Go >= 1.24)"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false"
  mkdir -p "$bin"
  # helm reports its version from internal/version (what its Makefile sets in a release build).
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  say "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (a few minutes with a cold Go build cache)"
  GOBIN="$bin" nice -n 10 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ||
    fail "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (see above)"
  built || fail "the built helm does not report $HELM_VERSION"
fi

echo "$bin/helm"
