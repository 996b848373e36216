#!/bin/bash
# Builds a minimal Debian root filesystem holding PACKAGES (comma-separated) as a tar file,
# cached under ${CODERUN_CACHE}/rootfs by the suite, the packages, the host's apt sources and
# this script, and prints the tar's path.
#
#   debian-rootfs.sh PACKAGES
#
# Packages come from the mirrors this host's apt is configured with (read at run time).
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: debian-rootfs.sh PACKAGE[,PACKAGE...]"
packages=$1
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
[ -n "$suite" ] || die "cannot tell the Debian suite from /etc/os-release"

sources=()
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -s "$f" ] && grep -q -v -e '^#' -e '^\s*$' "$f" && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || die "this host has no apt sources configured (looked in /etc/apt/sources.list{,.d})"

key=$( { echo "$suite $packages"; cat "${sources[@]}" "$0"; } | sha256sum | cut -c1-16)
out=$CACHE_DIR/rootfs/$suite-$key.tar
if [ ! -f "$out" ]; then
  mkdir -p "$(dirname "$out")"
  log "building Debian $suite root filesystem with $packages (takes a minute or two)"
  # essential variant: dpkg, libc, coreutils, sh... plus the packages; no apt inside the image.
  # The hook drops apt's state and the host's source list: the image needs neither.
  SOURCE_DATE_EPOCH=0 mmdebstrap --quiet --format=tar --variant=essential --include="$packages" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/* "$1"/var/log/*' \
    "$suite" "$out.tmp" "${sources[@]}" >&2
  mv "$out.tmp" "$out"
fi
echo "$out"
