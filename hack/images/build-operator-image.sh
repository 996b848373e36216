#!/bin/bash
# Builds coderun.local/operator:dev (the operator for the Helm chart, deploy/helm/coderun) and
# imports it into the local cluster's containerd, without a daemon: operator-rootfs.sh, then
# build-image.sh. Run after npm install, with the cluster up.
#
# The root filesystem is cached under ${CODERUN_CACHE}/operator-rootfs by the hash of what it is
# made of: the sources tsc compiles, the TypeScript settings, the installed packages (npm's
# node_modules/.package-lock.json), the Node binary's version and the libraries it links, and
# these scripts. Unchanged inputs cost a hash and containerd's answer that it holds the image.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
cd "$REPO_ROOT"

REF=coderun.local/operator:dev
node_bin=$(readlink -f node_modules/.bin/node)
[ -x "$node_bin" ] || die "node_modules/.bin/node is missing: run npm install first"

key=$( {
  find src -type f -name '*.ts' ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum
  sha256sum tsconfig.json tsconfig.build.json node_modules/.package-lock.json "$HERE/operator-rootfs.sh" "$0"
  "$node_bin" --version
  ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | xargs readlink -f | xargs sha256sum
} | sha256sum | cut -c1-16)
store=$CACHE_DIR/operator-rootfs
rootfs=$store/$key.tar

if [ ! -f "$rootfs" ]; then
  log "assembling the operator's root filesystem ($key)"
  mkdir -p "$store"
  work=$(mktemp -d "$store/.work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  bash "$HERE/operator-rootfs.sh" "$work/rootfs"
  # The same tar flags as build-image.sh: equal inputs give an equal layer digest.
  tar -C "$work/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$rootfs"
  # Only the newest is kept: every source edit makes another.
  find "$store" -maxdepth 1 -name '*.tar' ! -path "$rootfs" -delete
fi

"$HERE/build-image.sh" "$REF" "$rootfs" '["/usr/local/bin/node","/app/dist/main.js"]' null \
  '["PATH=/usr/local/bin:/usr/bin:/bin","NODE_ENV=production"]' 65532:65532
