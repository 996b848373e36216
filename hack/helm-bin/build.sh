#!/bin/bash
# Builds the helm CLI pinned in hack/helm-bin/go.mod into
# ${CODERUN_CACHE}/helm/<version>-<hash of the inputs>/helm and prints the binary's path.
# The chart's tests call it (scripts/test.sh, test/e2e/helm-install.test.ts); a cached call
# takes milliseconds, the first build of a version a few minutes.
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

MODULE_DIR=$REPO_ROOT/hack/helm-bin
version=$(awk '$1 == "helm.sh/helm/v4" {print $2; exit}' "$MODULE_DIR/go.mod")
[ -n "$version" ] || die "no helm.sh/helm/v4 version in $MODULE_DIR/go.mod"
inputs_hash=$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$0" | sha256sum | cut -c1-16)
out=$CACHE_DIR/helm/$version-$inputs_hash

if [ ! -x "$out/helm" ]; then
  log "building helm $version (the first build takes a few minutes)"
  mkdir -p "$out"
  # The version stamp helm's own Makefile sets; without it `helm version` says only "v4.x".
  (cd "$MODULE_DIR" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" \
    -o "$out/helm.tmp" helm.sh/helm/v4/cmd/helm)
  mv -f "$out/helm.tmp" "$out/helm"
fi
echo "$out/helm"
