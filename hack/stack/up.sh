#!/usr/bin/env bash
# `npm run up`: the local cluster, coderun's CRDs, the standard Runtimes, and the operator running
# in the background (log: .cluster/operator.log). Running it again restarts the operator with the
# current code and leaves the rest as it is.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
cd "$REPO_ROOT"

bash hack/cluster/up.sh
kubectl() { "$CLUSTER_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

log "applying the CRDs and the standard Runtimes"
kubectl apply -f deploy/crds/ >/dev/null
kubectl wait --for condition=established --timeout=60s crd/coderuns.coderun.dev crd/runtimes.coderun.dev >/dev/null
kubectl apply -f deploy/runtimes/ >/dev/null

log "building and starting the operator"
node_modules/.bin/tsc -p tsconfig.build.json
stop_component operator
node_bin=$(readlink -f node_modules/.bin/node)
echo "$node_bin" > "$PID_DIR/operator.bin"
# Images are imported into containerd, never pulled: pull policy Never.
KUBECONFIG=$KUBECONFIG_FILE CODERUN_IMAGE_PULL_POLICY=Never CODERUN_METRICS_PORT=${CODERUN_METRICS_PORT:-8080} \
  setsid "$node_bin" dist/main.js >> "$CLUSTER_DIR/operator.log" 2>&1 < /dev/null 9>&- &
echo $! > "$PID_DIR/operator.pid"
ready_url="http://127.0.0.1:${CODERUN_METRICS_PORT:-8080}/readyz"
wait_until 60 "the operator's /readyz" "$node_bin" -e "fetch('$ready_url').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

cat <<MSG

coderun is running (operator log: .cluster/operator.log, metrics: http://127.0.0.1:${CODERUN_METRICS_PORT:-8080}/metrics).

  export KUBECONFIG=$KUBECONFIG_FILE PATH=$CLUSTER_DIR/bin:\$PATH
  kubectl apply -f examples/accepted-python.yaml
  kubectl get coderuns            # RUNTIME PHASE VERDICT TIME-MS MEMORY-KIB AGE
  kubectl get coderun <name> -o yaml

Stop everything with: npm run down
MSG
