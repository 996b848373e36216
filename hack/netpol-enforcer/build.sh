#!/bin/bash
# Builds netpol-enforcer (static, CGO_ENABLED=0) into a cache outside the repository, keyed by a
# hash of its sources, go.mod, go.sum and the Go version, and prints the binary's absolute path
# on stdout. Build output goes to stderr. A second run with unchanged sources only hashes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
export GOTOOLCHAIN=local CGO_ENABLED=0

key=$( { go version; find . -name '*.go' ! -name '*_test.go' -print0 | sort -z | xargs -0 sha256sum; sha256sum go.mod go.sum; } \
  | sha256sum | cut -c1-16)
out_dir=${CODERUN_CACHE:-/var/cache/coderun}/netpol-enforcer/$key
bin=$out_dir/netpol-enforcer

if [ ! -x "$bin" ]; then
  mkdir -p "$out_dir"
  echo "[netpol-enforcer] building into $out_dir" >&2
  go build -trimpath -ldflags '-s -w' -o "$bin.tmp" . >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
