#!/bin/bash
# Brings up the local single-node Kubernetes cluster (npm run cluster:up).
#
#   up.sh             etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet,
#                     kube-proxy, the NetworkPolicy enforcer, and the local images
#   up.sh --api-only  etcd and kube-apiserver only (integration tests that need no pods)
#
# Idempotent: what already runs is left alone, so a second call returns in about a second, and
# a full call on top of an --api-only cluster adds the missing parts. Callers are serialised
# with a lock on .cluster/up.lock. Ends by printing the `export KUBECONFIG=...` line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

api_only=false
for arg in "$@"; do
  case $arg in
    --api-only) api_only=true ;;
    *) die "unknown argument '$arg' (the only option is --api-only)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "cluster:up must run as root (it starts containerd, kubelet and changes iptables)"

take_cluster_lock
mkdir -p "$PKI_DIR" "$LOG_DIR" "$PID_DIR" "$CONF_DIR"
run_started_ms=$(( $(date +%s%N) / 1000000 ))
mode=full; $api_only && mode=api-only

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

apiserver_ready() { kubectl_admin get --raw /readyz >/dev/null 2>&1; }

node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

all_running() {
  local c
  for c in "$@"; do is_running "$c" || return 1; done
}

CONTROL_PLANE=(etcd kube-apiserver)
NODE_PARTS=(kube-controller-manager kube-scheduler containerd kubelet kube-proxy)
NETPOL_BUILD=$REPO_ROOT/hack/netpol-enforcer/build.sh
[ -f "$NETPOL_BUILD" ] && NODE_PARTS+=(netpol-enforcer)

finish() {
  local total_ms=$(( $(date +%s%N) / 1000000 - run_started_ms ))
  printf '%s total-%s %d.%03d\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$mode" $(( total_ms / 1000 )) $(( total_ms % 1000 )) >> "$TIMINGS_FILE"
  log "cluster ($mode) is up in $(( total_ms / 1000 )).$(( total_ms % 1000 / 100 ))s"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
  exit 0
}

# ---- a cluster of another checkout on the same ports? -----------------------------------------
# E.g. CI's fresh clone on a machine where a developer's checkout left its cluster running:
# that cluster is taken down with its own down.sh, since both cannot hold the same ports.
# A cluster started from this same path whose pid files are gone (the checkout was deleted and
# cloned again while its cluster ran) is a stray: this checkout's down.sh stops it.
stop_foreign_cluster() {
  local pid other name
  for pid in $(ss -ltnpH 2>/dev/null | awk '$4 ~ /:(6443|2379|10250)$/' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    other=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -o '/[^=]*/\.cluster/' | head -n1 || true)
    other=${other%/.cluster/*}
    [ -n "$other" ] || continue
    if [ "$other" = "$REPO_ROOT" ]; then
      for name in etcd kube-apiserver kubelet; do
        [ "$(component_pid "$name" || true)" = "$pid" ] && continue 2
      done
      log "pid $pid, a cluster component started from this path but not recorded in $PID_DIR, holds the cluster's ports: stopping the strays with down.sh"
      CODERUN_CLUSTER_LOCK_HELD=$CLUSTER_DIR bash "$HERE/down.sh" >&2 || die "could not stop the stray cluster components"
      return
    fi
    [ -f "$other/hack/cluster/down.sh" ] \
      || die "port $(ss -ltnpH | grep "pid=$pid," | awk '{print $4}' | head -n1) is held by pid $pid of a cluster in $other, which has no hack/cluster/down.sh; stop that process first"
    log "a cluster of another checkout ($other) holds the cluster's ports: stopping it with its down.sh"
    bash "$other/hack/cluster/down.sh" >&2 || die "could not stop the cluster of $other"
  done
}
stop_foreign_cluster

# ---- already up? ----------------------------------------------------------------------------
K8S_BIN=$CLUSTER_DIR/bin
if all_running "${CONTROL_PLANE[@]}" && apiserver_ready; then
  if $api_only; then finish; fi
  if all_running "${NODE_PARTS[@]}" && node_ready; then finish; fi
fi

# ---- host packages and binaries -------------------------------------------------------------
if $api_only; then
  timed host-packages "$HERE/install-host-deps.sh" --api-only
  K8S_BIN=$(timed build-kubernetes "$HERE/build-k8s.sh" kube-apiserver kubectl)
else
  timed host-packages "$HERE/install-host-deps.sh"
  K8S_BIN=$(timed build-kubernetes "$HERE/build-k8s.sh")
fi
ETCD_BIN=$(timed build-etcd "$REPO_ROOT/hack/etcd-bin/build.sh")
# .cluster/bin/kubectl: for the "already up" check above, and for people at a shell.
mkdir -p "$CLUSTER_DIR/bin"
ln -sfn "$K8S_BIN/kubectl" "$CLUSTER_DIR/bin/kubectl"
timed pki "$HERE/pki.sh"
NODE_IP=$(node_ip)
[ -n "$NODE_IP" ] || die "eth0 has no IPv4 address; the node needs one"

# ---- etcd + kube-apiserver ------------------------------------------------------------------
start_control_plane() {
  mkdir -p "$ETCD_DATA_DIR"
  chmod 700 "$ETCD_DATA_DIR"
  start_component etcd "$ETCD_BIN" \
    --name coderun --data-dir "$ETCD_DATA_DIR" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster coderun=http://127.0.0.1:2380 \
    --unsafe-no-fsync --log-level warn

  # --enable-aggregator-routing: the API server calls admission webhooks (coderun's) at their
  # endpoints' pod IPs, which stay on the node's bridge. Through a Service's ClusterIP, a call
  # made before kube-proxy programmed that Service would leave the node by its default route.
  start_component kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 --secure-port=6443 --advertise-address="$NODE_IP" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI_DIR/ca.crt" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --enable-aggregator-routing=true \
    --allow-privileged=true \
    --profiling=false

  cp "$PKI_DIR/admin.kubeconfig" "$KUBECONFIG_FILE.tmp"
  chmod 600 "$KUBECONFIG_FILE.tmp"
  mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
  wait_until 120 "kube-apiserver /readyz" apiserver_ready
}
timed control-plane start_control_plane

if $api_only; then finish; fi

# ---- node: containerd, CNI, images ----------------------------------------------------------
# Rewrites a config file only when its content changes: kube-proxy exits when its file is written.
write_if_changed() {
  local target=$1 next
  next=$(mktemp "$target.XXXXXX")
  cat > "$next"
  if cmp -s "$next" "$target"; then rm -f "$next"; else mv -f "$next" "$target"; fi
}

write_node_configs() {
  sysctl -q -w net.ipv4.ip_forward=1
  mkdir -p "$CNI_CONF_DIR" /var/lib/containerd "$KUBELET_DIR"
  # The only CNI config on the host: ptp gives each pod a routed veth, so pod-to-pod traffic
  # crosses the host's FORWARD chain, where the NetworkPolicy enforcer filters it.
  for f in "$CNI_CONF_DIR"/*; do
    [ -e "$f" ] && [ "$f" != "$CNI_CONF_DIR/10-coderun.conflist" ] && die "unexpected CNI config $f: remove it (containerd uses the first file)"
  done
  write_if_changed "$CNI_CONF_DIR/10-coderun.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": true,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  # restrict_oom_score_adj: this machine lacks CAP_SYS_RESOURCE, so negative oom_score_adj
  # values (which containerd gives the pause container) would fail every sandbox.
  write_if_changed "$CONF_DIR/containerd.toml" <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOF

  local resolv=/etc/resolv.conf
  [ -f "$resolv" ] || resolv=""
  # failCgroupV1: false because these machines run cgroup v1; oomScoreAdj 0 for the missing
  # CAP_SYS_RESOURCE; image GC off because local images cannot be pulled again; podPidsLimit
  # contains a fork bomb inside its pod.
  write_if_changed "$CONF_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupsPerQOS: true
enforceNodeAllocatable: ["pods"]
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
runtimeRequestTimeout: 2m
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI_DIR/kubelet.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet.key
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
rotateCertificates: false
serverTLSBootstrap: false
oomScoreAdj: 0
podPidsLimit: 1024
clusterDomain: cluster.local
resolvConf: "$resolv"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
serializeImagePulls: false
EOF

  write_if_changed "$CONF_DIR/kube-scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: $PKI_DIR/scheduler.kubeconfig}
leaderElection: {leaderElect: false}
EOF

  # conntrack zeros: leave the host's conntrack sysctls alone.
  write_if_changed "$CONF_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI_DIR/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
oomScoreAdj: 0
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [primary]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

containerd_ready() { ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }

start_containerd() {
  start_component containerd /usr/bin/containerd --config "$CONF_DIR/containerd.toml"
  wait_until 30 "containerd" containerd_ready
}

timed node-configs write_node_configs
timed containerd start_containerd
timed images "$REPO_ROOT/hack/images/build-cluster-images.sh"

# ---- controllers, kubelet, kube-proxy, NetworkPolicy enforcer --------------------------------
start_controllers() {
  start_component kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$PKI_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI_DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI_DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --use-service-account-credentials=true --controllers='*' \
    --service-cluster-ip-range="$SERVICE_CIDR" --leader-elect=false
  start_component kube-scheduler "$K8S_BIN/kube-scheduler" \
    --config="$CONF_DIR/kube-scheduler.yaml" --bind-address=127.0.0.1 \
    --authentication-kubeconfig="$PKI_DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI_DIR/scheduler.kubeconfig"
}

start_kubelet() {
  start_component kubelet "$K8S_BIN/kubelet" \
    --config="$CONF_DIR/kubelet.yaml" --kubeconfig="$PKI_DIR/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
  wait_until 180 "node $NODE_NAME to become Ready" node_ready
}

kube_proxy_synced() {
  iptables -w -t nat -S KUBE-SERVICES 2>/dev/null | grep -q -- "-d $FIRST_SERVICE_IP/32"
}

start_kube_proxy() {
  start_component kube-proxy "$K8S_BIN/kube-proxy" --config="$CONF_DIR/kube-proxy.yaml"
  # Until kube-proxy has written the Service rules, traffic to a ClusterIP would leave
  # through eth0's default route.
  wait_until 60 "kube-proxy to program the kubernetes Service" kube_proxy_synced
}

start_netpol_enforcer() {
  if [ ! -f "$NETPOL_BUILD" ]; then
    log "SKIPPED the NetworkPolicy enforcer: $NETPOL_BUILD does not exist yet"
    return 0
  fi
  local bin
  bin=$(bash "$NETPOL_BUILD")
  [ -x "$bin" ] || die "$NETPOL_BUILD printed '$bin', which is not an executable"
  kubectl_admin apply -f "$REPO_ROOT/hack/netpol-enforcer/rbac.yaml" >/dev/null
  start_component netpol-enforcer "$bin" \
    --kubeconfig "$PKI_DIR/netpol.kubeconfig" --node-name "$NODE_NAME" --pod-cidr "$POD_CIDR"
}

default_service_account_exists() { kubectl_admin -n default get serviceaccount default; }

timed controllers start_controllers
timed kubelet start_kubelet
timed kube-proxy start_kube_proxy
timed netpol-enforcer start_netpol_enforcer
# Pods are refused with "serviceaccount default not found" for a moment after the node is Ready.
wait_until 60 "the default ServiceAccount" default_service_account_exists
finish
