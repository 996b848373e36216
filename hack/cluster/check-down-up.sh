#!/bin/bash
# The end-of-suite check of cluster:down: takes the cluster down, fails on any leftover
# (verify-clean.sh), brings it up again and proves it works by running a pod to completion, then
# installs coderun again as `npm run up` does, so that `npm test` leaves the installation it found.
# Prints "N passed, N failed" so test runners can read the result.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

passed=0 failed=0
check() { # NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); log "PASS $name"; else failed=$((failed + 1)); log "FAIL $name"; fi
}

kubectl_admin() { "$CLUSTER_DIR/bin/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

pod_runs_again() {
  local ns=down-up-check-$$ out
  kubectl_admin create namespace "$ns" >/dev/null || return 1
  until kubectl_admin -n "$ns" get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
  kubectl_admin -n "$ns" run probe --image=coderun.local/testbox:dev --image-pull-policy=Never \
    --restart=Never --command -- sh -c 'echo alive' >/dev/null
  kubectl_admin -n "$ns" wait --for=jsonpath='{.status.phase}'=Succeeded pod/probe --timeout=120s >/dev/null
  out=$(kubectl_admin -n "$ns" logs probe)
  kubectl_admin delete namespace "$ns" --wait=false >/dev/null
  [ "$out" = alive ]
}

check "cluster:down leaves nothing behind" "$HERE/down.sh"
check "cluster:up works after cluster:down" "$HERE/up.sh"
check "a pod runs to completion on the new cluster" pod_runs_again
# What `npm run up` installs, again: the user's installation as it was before `npm test`.
check "coderun installs on the new cluster (hack/stack/install.sh)" bash "$REPO_ROOT/hack/stack/install.sh"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
