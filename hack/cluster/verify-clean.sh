#!/bin/bash
# Checks that no trace of the local cluster is left on the host; lists each leftover and exits
# non-zero if there is any. Run by cluster:down at its end, and by tests of down -> up.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

leftovers=()
add() { leftovers+=("$1"); }

# By executable, not by process name: the kernel cuts names to 15 characters.
for exe in /proc/[0-9]*/exe; do
  name=$(basename "$(readlink "$exe" 2>/dev/null)" 2>/dev/null) || continue
  case $name in
    etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | netpol-enforcer | containerd)
      pid=${exe#/proc/}; add "process $name (pid ${pid%/exe})" ;;
  esac
done
for pid in $(pgrep -f -- "containerd-shim-runc-v2 -namespace k8s.io" 2>/dev/null); do add "process containerd-shim (pid $pid)"; done

while read -r mountpoint; do add "mount $mountpoint"; done < <(
  awk -v kubelet="$KUBELET_DIR/" 'index($2, kubelet) == 1 || index($2, "/run/containerd/") == 1 ||
      index($2, "/run/netns/cni-") == 1 || index($2, "/var/run/netns/cni-") == 1 {print $2}' /proc/self/mounts)
for f in /run/netns/cni-*; do [ -e "$f" ] && add "network namespace $f"; done

while read -r link; do add "network interface $link"; done < <(
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(veth|cni|kube-|flannel|tunl)' )
while read -r link; do add "address of the pod network on $link"; done < <(
  ip -o -4 addr show 2>/dev/null | awk -v net="${POD_CIDR%.*}." 'index($4, net) == 1 {print $2}')
while read -r route; do add "route $route"; done < <(ip -4 route show 2>/dev/null | grep -F "${POD_CIDR%.*}.")

for tool in iptables ip6tables; do
  command -v "$tool-save" >/dev/null || continue
  while read -r rule; do add "$tool: $rule"; done < <(
    "$tool-save" 2>/dev/null | grep -v '^#' | grep -E 'KUBE-|CNI-|CRNP-|NETPOL|coderun|cni0|10\.244\.|10\.96\.' )
done
if command -v ipset >/dev/null; then
  while read -r set; do add "ipset $set"; done < <(ipset list -n 2>/dev/null)
fi

if [ -d "$CNI_LEASE_DIR" ]; then
  for f in "$CNI_LEASE_DIR"/*; do
    [ -e "$f" ] && case $(basename "$f") in lock | last_reserved_ip.*) ;; *) add "host-local IP lease $f" ;; esac
  done
fi
[ -e "$CNI_CONF_DIR/10-coderun.conflist" ] && add "CNI config $CNI_CONF_DIR/10-coderun.conflist"

if [ ${#leftovers[@]} -gt 0 ]; then
  echo "verify-clean: the local cluster left ${#leftovers[@]} thing(s) behind:" >&2
  printf '  %s\n' "${leftovers[@]}" >&2
  exit 1
fi
echo "verify-clean: no process, mount, interface, route, iptables/ipset rule or IP lease of the cluster is left"
