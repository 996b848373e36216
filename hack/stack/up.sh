#!/usr/bin/env bash
# `npm run up`: the local cluster, and coderun installed in it by its Helm chart (the operator's
# two replicas as pods, the admission webhook, the standard Runtimes). Running it again upgrades
# the release to the current code and leaves the rest as it is.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
cd "$REPO_ROOT"

bash hack/cluster/up.sh
# An operator of an older `npm run up` ran on the host: it would compete for the Lease.
mkdir -p "$PID_DIR"
stop_component operator
bash "$HERE/install.sh"

cat <<MSG

coderun is running in the cluster (the release coderun in coderun-system).

  export KUBECONFIG=$KUBECONFIG_FILE PATH=$CLUSTER_DIR/bin:\$PATH
  kubectl apply -f examples/accepted-python.yaml
  kubectl get coderuns            # RUNTIME PHASE VERDICT TIME-MS MEMORY-KIB AGE
  kubectl get coderun <name> -o yaml
  kubectl logs -n coderun-system deployment/coderun-operator

Stop everything with: npm run down
MSG
