#!/bin/bash
# Builds the Kubernetes binaries named as arguments (default: all) from the pinned Go module
# hack/k8s-bin into ${CODERUN_CACHE}/k8s/<version>-<hash of the inputs>/ and prints that
# directory. A binary already in the cache is not rebuilt, so a warm call takes milliseconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODULE_DIR=$REPO_ROOT/hack/k8s-bin
ALL=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl cri-reset)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${ALL[@]}")

version=$(awk '{for (i = 1; i < NF; i++) if ($i == "k8s.io/kubernetes" && $(i + 1) ~ /^v1\./) {print $(i + 1); exit}}' "$MODULE_DIR/go.mod")
[ -n "$version" ] || die "no k8s.io/kubernetes version in $MODULE_DIR/go.mod"
minor=$(echo "$version" | cut -d. -f2)
inputs_hash=$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$MODULE_DIR/cmd/cri-reset/main.go" "$0" \
  | sha256sum | cut -c1-16)
out=$CACHE_DIR/k8s/$version-$inputs_hash

package_of() {
  case $1 in
    cri-reset) echo ./cmd/cri-reset ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}

missing=()
for b in "${wanted[@]}"; do
  [ -x "$out/$b" ] || missing+=("$(package_of "$b")")
done

if [ ${#missing[@]} -gt 0 ]; then
  log "building ${missing[*]} at $version (first build of a version takes many minutes)"
  mkdir -p "$out"
  tmp=$(mktemp -d "$out/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Same version stamps as upstream's hack/lib/version.sh, so /version and the Node report
  # the real release; gitMinor must match the linked component-base or the apiserver refuses
  # its emulation version.
  ldflags="-s -w
    -X k8s.io/component-base/version.gitVersion=$version
    -X k8s.io/component-base/version.gitMajor=1
    -X k8s.io/component-base/version.gitMinor=$minor
    -X k8s.io/component-base/version.gitCommit=0000000000000000000000000000000000000000
    -X k8s.io/component-base/version.gitTreeState=clean
    -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z
    -X k8s.io/client-go/pkg/version.gitVersion=$version
    -X k8s.io/client-go/pkg/version.gitMajor=1
    -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  (cd "$MODULE_DIR" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${missing[@]}")
  for f in "$tmp"/*; do mv -f "$f" "$out/"; done
fi
echo "$out"
