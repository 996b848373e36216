#!/bin/bash
# Builds the etcd server pinned in hack/etcd-bin/go.mod into
# ${CODERUN_CACHE}/etcd/<version>-<hash of the inputs>/etcd and prints the binary's path.
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

MODULE_DIR=$REPO_ROOT/hack/etcd-bin
version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$MODULE_DIR/go.mod")
[ -n "$version" ] || die "no go.etcd.io/etcd/server/v3 version in $MODULE_DIR/go.mod"
inputs_hash=$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$0" | sha256sum | cut -c1-16)
out=$CACHE_DIR/etcd/$version-$inputs_hash

if [ ! -x "$out/etcd" ]; then
  log "building etcd $version"
  mkdir -p "$out"
  (cd "$MODULE_DIR" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$out/etcd.tmp" "$out/etcd"
fi
echo "$out/etcd"
