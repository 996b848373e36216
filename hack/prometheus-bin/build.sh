#!/bin/bash
# Builds the Prometheus server and promtool pinned in hack/prometheus-bin/go.mod into
# ${CODERUN_CACHE}/prometheus/<version>-<hash of the inputs>/ and prints that directory.
# The alert rules' unit tests call promtool, the monitoring e2e test runs the server
# (scripts/test.sh, test/support/prometheus.ts). A cached call takes milliseconds.
#
# The build tags leave out every service discovery plugin but kubernetes (the one a
# ServiceMonitor stands for) and the always-built file and http ones: 45 % less CPU on a first
# build (325 s instead of 585 s; 1284 packages of 179 modules instead of 1527 of 242).
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

MODULE_DIR=$REPO_ROOT/hack/prometheus-bin
version=$(awk '$1 == "github.com/prometheus/prometheus" {print $2; exit}' "$MODULE_DIR/go.mod")
[ -n "$version" ] || die "no github.com/prometheus/prometheus version in $MODULE_DIR/go.mod"
inputs_hash=$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" "$0" | sha256sum | cut -c1-16)
out=$CACHE_DIR/prometheus/$version-$inputs_hash

if [ ! -x "$out/prometheus" ] || [ ! -x "$out/promtool" ]; then
  log "building prometheus and promtool $version (the first build takes several minutes)"
  mkdir -p "$out"
  # Module v0.3XX.Y is Prometheus 3.XX.Y; the stamp is what `prometheus --version` prints.
  release=$(echo "$version" | sed -E 's/^v0\.([0-9])([0-9]+)\.([0-9]+).*/\1.\2.\3/')
  for cmd in prometheus promtool; do
    (cd "$MODULE_DIR" && CGO_ENABLED=0 go build -trimpath \
      -tags remove_all_sd,enable_kubernetes_sd \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=$release" \
      -o "$out/$cmd.tmp" "github.com/prometheus/prometheus/cmd/$cmd")
    mv -f "$out/$cmd.tmp" "$out/$cmd"
  done
fi
echo "$out"
