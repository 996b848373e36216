#!/bin/bash
# One reusable step for every local image: root filesystem -> OCI archive -> containerd.
#
#   build-image.sh REF ROOTFS ENTRYPOINT_JSON [CMD_JSON] [ENV_JSON] [USER]
#
# REF      full image name, e.g. coderun.local/python3:dev (the kubelet looks images up by
#          their full name; a short name would be read as docker.io/library/...)
# ROOTFS   a directory or a tar file holding the image's root filesystem (one layer)
# ENTRYPOINT_JSON, CMD_JSON  JSON arrays or null;  ENV_JSON  JSON array of "K=V" (default: PATH)
# USER     uid:gid the image runs as (default: none in the config, i.e. root)
#
# The archive is cached under ${CODERUN_CACHE}/images by the digest of its manifest (which
# covers the layer, the config and the name), and imported into containerd's k8s.io
# namespace only when containerd does not already hold that exact manifest under REF. A new
# archive of REF replaces the older ones (the operator image changes with every source edit).
# Pods use these images with imagePullPolicy: Never; nothing is ever pulled. Needs the cluster's
# containerd running (npm run cluster:up).
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

usage() { die "usage: build-image.sh REF ROOTFS(dir|tar) ENTRYPOINT_JSON [CMD_JSON] [ENV_JSON] [USER]"; }
[ $# -ge 3 ] && [ $# -le 6 ] || usage
ref=$1 rootfs=$2 entrypoint=$3 cmd=${4:-null} env=${5:-'["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'} user=${6:-}
case $ref in
  */*:*) ;;
  *) die "image reference '$ref' must be a full name with a registry part and a tag, e.g. coderun.local/NAME:TAG" ;;
esac
[ -e "$rootfs" ] || die "root filesystem '$rootfs' does not exist"
for j in "$entrypoint" "$cmd" "$env"; do
  python3 -c 'import json,sys; v=json.loads(sys.argv[1]); assert v is None or (isinstance(v,list) and all(isinstance(x,str) for x in v))' "$j" 2>/dev/null \
    || die "'$j' is not a JSON array of strings (or null)"
done
[[ -z $user || $user =~ ^[0-9]+:[0-9]+$ ]] || die "user '$user' must be numeric uid:gid, e.g. 65532:65532"

store=$CACHE_DIR/images
mkdir -p "$store/layers" "$store/archives"
work=$(mktemp -d "$store/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The layer is an uncompressed tar: gzip would cost most of the build time for a local import.
if [ -d "$rootfs" ]; then
  layer=$work/layer.tar
  tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$layer" .
  layer_digest=$(sha256sum "$layer" | cut -d' ' -f1)
else
  layer=$(readlink -f "$rootfs")
  # Hashing a large tar on every call would dominate a cached bring-up: remember the digest
  # per (path, size, mtime).
  stamp=$(stat -c '%s-%Y' "$layer")
  memo=$store/layers/$(echo "$layer" | sha256sum | cut -c1-16).digest
  if [ -f "$memo" ] && [ "$(cut -d' ' -f1 "$memo")" = "$stamp" ]; then
    layer_digest=$(cut -d' ' -f2 "$memo")
  else
    layer_digest=$(sha256sum "$layer" | cut -d' ' -f1)
    echo "$stamp $layer_digest" > "$memo"
  fi
fi
layer_size=$(stat -c %s "$layer")

blob() { # NAME -> moves work/NAME into the blob store, prints "digest size"
  local d s
  d=$(sha256sum "$work/$1" | cut -d' ' -f1); s=$(stat -c %s "$work/$1")
  mkdir -p "$work/oci/blobs/sha256"; mv "$work/$1" "$work/oci/blobs/sha256/$d"
  echo "$d $s"
}

# "User" only when given: the configs (and digests) of the images without one stay as they were.
user_field=${user:+\"User\":\"$user\",}
printf '{"architecture":"amd64","os":"linux","config":{%s"Entrypoint":%s,"Cmd":%s,"Env":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$user_field" "$entrypoint" "$cmd" "$env" "$layer_digest" > "$work/config.json"
read -r config_digest config_size < <(blob config.json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$work/manifest.json"
read -r manifest_digest manifest_size < <(blob manifest.json)

archive=$store/archives/$manifest_digest-$(echo "$ref" | sha256sum | cut -c1-12).tar
if [ ! -f "$archive" ]; then
  ln "$layer" "$work/oci/blobs/sha256/$layer_digest" 2>/dev/null || cp "$layer" "$work/oci/blobs/sha256/$layer_digest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$ref" "${ref##*:}" > "$work/oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
  tar -C "$work/oci" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf "$work/archive.tar" oci-layout index.json blobs
  mv "$work/archive.tar" "$archive"
  for old in "$store/archives/"*"-${archive##*-}"; do
    [ "$old" = "$archive" ] || rm -f "$old"
  done
fi

ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 \
  || die "containerd is not running at $CONTAINERD_SOCK (start the cluster with npm run cluster:up); the archive is $archive"
current=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls "name==$ref" 2>/dev/null | awk 'NR > 1 {print $3}')
if [ "$current" = "sha256:$manifest_digest" ]; then
  log "image $ref is up to date (sha256:${manifest_digest:0:12})"
else
  log "importing $ref (sha256:${manifest_digest:0:12}, $(( layer_size / 1048576 )) MiB)"
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import "$archive" >/dev/null
fi
