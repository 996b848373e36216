#!/bin/bash
# Stops the local cluster (npm run cluster:down) and removes everything it put on the host:
# processes, pod sandboxes (through the CRI, so CNI DEL frees veths, routes, NAT rules and IP
# leases), mounts, kube-proxy's and the enforcer's iptables state, etcd's data and the node's
# runtime state. Kept: .cluster/pki and the build/image caches, so the next cluster:up is quick.
# Ends by running verify-clean.sh; exits non-zero if anything was left behind.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
[ "$(id -u)" -eq 0 ] || die "cluster:down must run as root"

take_cluster_lock
mkdir -p "$PID_DIR"
started_ms=$(( $(date +%s%N) / 1000000 ))

# Binaries from the cache of the version in use (for --cleanup modes and cri-reset).
K8S_BIN=$(dirname "$(readlink -f "$CLUSTER_DIR/bin/kubectl" 2>/dev/null || echo /nonexistent/kubectl)")

# 1. Nothing may create or change pods any more.
# Their state is thrown away below, so they get a short grace period.
stop_component kube-controller-manager 2 &
stop_component kube-scheduler 2 &
wait

# 2. The enforcer and kube-proxy, then their firewall state.
netpol_bin=$(cat "$PID_DIR/netpol-enforcer.bin" 2>/dev/null || true)
stop_component netpol-enforcer
if [ -n "$netpol_bin" ] && [ -x "$netpol_bin" ]; then
  "$netpol_bin" --cleanup || log "netpol-enforcer --cleanup failed (see above)"
fi
stop_component kube-proxy
if [ -x "$K8S_BIN/kube-proxy" ] && command -v iptables >/dev/null; then
  "$K8S_BIN/kube-proxy" --cleanup --v=0 >> "$LOG_DIR/kube-proxy-cleanup.log" 2>&1 || true
fi

# 3. The kubelet, then every pod sandbox through the CRI while containerd still runs.
stop_component kubelet
if is_running containerd; then
  if [ -x "$K8S_BIN/cri-reset" ]; then
    "$K8S_BIN/cri-reset" --endpoint "unix://$CONTAINERD_SOCK" || log "cri-reset reported errors"
  fi
  # Anything the CRI did not know about (e.g. a task whose sandbox vanished): kill and delete.
  for task in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do
    ctr -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    ctr -n k8s.io tasks delete -f "$task" >/dev/null 2>&1 || true
  done
  for c in $(ctr -n k8s.io containers ls -q 2>/dev/null); do
    ctr -n k8s.io containers delete "$c" >/dev/null 2>&1 || true
  done
fi
stop_component containerd
# Shims outlive containerd by design and exit once their task is gone; one still here after
# that belongs to a task that could not be deleted, and is ended by its pid.
sleep 0.5
for pid in $(pgrep -f -- "containerd-shim-runc-v2 -namespace k8s.io .*-address $CONTAINERD_SOCK" || true); do
  kill -KILL "$pid" 2>/dev/null || true
done

# 4. The API server and etcd; a new cluster starts from an empty store.
stop_component kube-apiserver 2
stop_component etcd 2
# A component whose pid file was lost (e.g. a crash between start and record) is still ours if
# it runs one of the cluster's binaries with this checkout's .cluster paths on its command line.
# Its firewall state goes with it: the cleanups in step 2 only knew the recorded binaries.
for pid in $(pgrep -f -- "$CLUSTER_DIR/" || true); do
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
  case $(basename "$exe") in
    etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | containerd | netpol-enforcer)
      log "stopping stray $(basename "$exe") (pid $pid)"
      kill -KILL "$pid" 2>/dev/null || true
      case $(basename "$exe") in
        netpol-enforcer) "$exe" --cleanup || log "netpol-enforcer --cleanup failed (see above)" ;;
        kube-proxy) "$exe" --cleanup --v=0 > /dev/null 2>&1 || true ;;
      esac ;;
  esac
done
rm -rf "$ETCD_DATA_DIR"

# 5. Leftovers of pods that were not torn down cleanly: mounts, netns, veths, leases, NAT chains.
umount_under() {
  local m
  for m in $(awk -v p="$1" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}
umount_under "$KUBELET_DIR/"
umount_under /run/containerd/io.containerd.
umount_under /run/netns/cni-
umount_under /var/run/netns/cni-
rm -f /run/netns/cni-* 2>/dev/null || true
# ptp gives the host end of each pod's veth the pod network's gateway address.
for link in $(ip -o -4 addr show 2>/dev/null | awk -v net="${POD_CIDR%.*}." 'index($4, net) == 1 {print $2}' | cut -d@ -f1 | sort -u); do
  ip link delete "$link" 2>/dev/null || true
done
rm -rf "$CNI_LEASE_DIR"
# Firewall chains of the cluster that survived the clean-ups above: the kubelet's own
# (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT), and CNI masquerade chains of
# sandboxes that were not torn down through the CRI.
remove_chains() { # IPTABLES_COMMAND
  local ipt=$1 table rule chain
  command -v "$ipt" >/dev/null || return 0
  for table in filter nat mangle raw; do
    { "$ipt-save" -t "$table" 2>/dev/null | grep -E -- '^-A .* -j (KUBE|CNI)-' || true; } | while read -r rule; do
      eval "$ipt -w -t $table -D ${rule#-A }" 2>/dev/null || true
    done
    for chain in $("$ipt-save" -t "$table" 2>/dev/null | awk '/^:(KUBE|CNI)-/ {print substr($1, 2)}'); do
      "$ipt" -w -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $("$ipt-save" -t "$table" 2>/dev/null | awk '/^:(KUBE|CNI)-/ {print substr($1, 2)}'); do
      "$ipt" -w -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}
remove_chains iptables
remove_chains ip6tables
rm -f "$CNI_CONF_DIR/10-coderun.conflist"
# kubelet state (pod dirs, checkpoints) belongs to the cluster that just ended. The directory
# itself may be a mount point of the machine, so only its content goes.
if [ -d "$KUBELET_DIR" ] && ! awk -v p="$KUBELET_DIR/" 'index($2, p) == 1 {found=1} END {exit !found}' /proc/self/mounts; then
  find "$KUBELET_DIR" -mindepth 1 -delete
fi

elapsed_ms=$(( $(date +%s%N) / 1000000 - started_ms ))
mkdir -p "$(dirname "$TIMINGS_FILE")"
printf '%s total-down %d.%03d\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" $(( elapsed_ms / 1000 )) $(( elapsed_ms % 1000 )) >> "$TIMINGS_FILE"
log "cluster is down"
"$HERE/verify-clean.sh"
