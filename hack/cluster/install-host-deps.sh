#!/bin/bash
# Installs the Debian packages the local cluster needs, only those still missing.
# Usage: install-host-deps.sh [--api-only]
set -euo pipefail

packages=(openssl iproute2 util-linux python3)
if [ "${1:-}" != "--api-only" ]; then
  # containerd + runc + CNI plugins run the pods; iptables/ipset/conntrack serve kube-proxy and
  # the NetworkPolicy enforcer; mmdebstrap, busybox-static and gcc build the local images.
  packages+=(containerd runc containernetworking-plugins iptables ipset conntrack
             mmdebstrap busybox-static gcc libc6-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "[cluster] installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
