#!/usr/bin/env bash
# Installs or upgrades coderun on the local cluster the way users install it: the Helm chart
# (deploy/helm/coderun) as the release `coderun` in coderun-system, with the locally built images
# (hack/stack/values-local.yaml) and the current CRDs. Objects of an older `npm run up` that the
# chart now makes (the standard Runtimes, the sandbox namespace and its policy) are adopted.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
cd "$REPO_ROOT"
RELEASE=coderun
NAMESPACE=coderun-system
export KUBECONFIG=$KUBECONFIG_FILE
kubectl() { "$CLUSTER_DIR/bin/kubectl" "$@"; }

log "building the operator image and helm"
bash hack/images/build-operator-image.sh
helm=$(bash hack/helm-bin/build.sh)
export HELM_CACHE_HOME=$CLUSTER_DIR/helm/cache HELM_CONFIG_HOME=$CLUSTER_DIR/helm/config HELM_DATA_HOME=$CLUSTER_DIR/helm/data
# The pods carry the image's digest: a new build rolls them although the tag stays `dev`.
digest=$(ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images ls name==coderun.local/operator:dev | grep -o 'sha256:[0-9a-f]\{64\}' | head -n1)
[ -n "$digest" ] || die "containerd has no coderun.local/operator:dev"

log "applying the CRDs"
# Helm installs crds/ only once and never upgrades them: apply the current ones.
kubectl apply --server-side --force-conflicts --field-manager=coderun-install -f deploy/helm/coderun/crds/ >/dev/null
kubectl wait --for condition=established --timeout=60s crd/coderuns.coderun.dev crd/runtimes.coderun.dev >/dev/null

values=(-f hack/stack/values-local.yaml --set-string "podAnnotations.coderun\.dev/image=$digest")
existing=$("$helm" template "$RELEASE" deploy/helm/coderun --namespace "$NAMESPACE" "${values[@]}" | kubectl get -f - -o name --ignore-not-found 2>/dev/null || true)
if [ -n "$existing" ] && ! "$helm" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  log "adopting what an older npm run up made: $(echo "$existing" | tr '\n' ' ')"
  for object in $existing; do
    # An object on its way out (a namespace being deleted takes its objects along) is no matter.
    kubectl annotate --overwrite "$object" "meta.helm.sh/release-name=$RELEASE" "meta.helm.sh/release-namespace=$NAMESPACE" >/dev/null 2>&1 || log "$object is gone"
    kubectl label --overwrite "$object" app.kubernetes.io/managed-by=Helm >/dev/null 2>&1 || true
  done
fi

log "helm upgrade --install $RELEASE"
"$helm" upgrade --install "$RELEASE" deploy/helm/coderun --namespace "$NAMESPACE" --create-namespace \
  --skip-crds --force-conflicts "${values[@]}" --wait --timeout 5m >/dev/null
log "coderun is installed: $(kubectl get deployment "$RELEASE-operator" --namespace "$NAMESPACE" -o jsonpath='{.status.readyReplicas}') operator replicas ready"
