#!/bin/bash
# Builds and imports the images the local cluster and coderun's tests use:
#   registry.k8s.io/pause:3.10   containerd's sandbox image
#   coderun.local/testbox:dev    busybox (sh, sleep, nc, httpd, wget, cat, ...)
#   coderun.local/python3:dev    Debian python3
#   coderun.local/gcc:dev        Debian gcc, g++, libc6-dev
#   coderun.local/java:dev       Debian openjdk-17-jdk-headless
#   coderun.local/node:dev       Debian nodejs (18)
#   coderun.local/go:dev         Debian golang-go (1.19)
#   coderun.local/rust:dev       Debian rustc-web (a current rustc, with gcc as its linker)
#   coderun.local/pypy3:dev      Debian pypy3
#   coderun.local/runner:dev     the sandbox runner at /runner (needs runner/build.sh)
# (coderun.local/operator:dev, for the Helm chart, is build-operator-image.sh's: it compiles the
# operator, so a cluster bring-up neither waits for nor depends on it.)
# All runtime images work as any non-root uid on a read-only root filesystem: HOME points at
# /tmp, which pods mount as a writable tmpfs, and nothing is written at start-up.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
BUILD=$HERE/build-image.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runtime_env() { # EXTRA_JSON_ITEMS...
  local items='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/tmp","LANG=C.UTF-8"'
  for e in "$@"; do items="$items,\"$e\""; done
  echo "[$items]"
}

mkdir -p "$work/pause"
gcc -static -Os -o "$work/pause/pause" "$HERE/pause/pause.c"
strip "$work/pause/pause"
"$BUILD" registry.k8s.io/pause:3.10 "$work/pause" '["/pause"]'

mkdir -p "$work/testbox/bin" "$work/testbox/tmp" "$work/testbox/etc"
cp /bin/busybox "$work/testbox/bin/busybox"
for applet in $("$work/testbox/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/testbox/bin/$applet"
done
chmod 1777 "$work/testbox/tmp"
echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' > "$work/testbox/etc/passwd"
"$BUILD" coderun.local/testbox:dev "$work/testbox" null '["/bin/sh"]' "$(runtime_env)"

"$BUILD" coderun.local/python3:dev "$("$HERE/debian-rootfs.sh" python3)" null '["python3"]' \
  "$(runtime_env PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1)"

"$BUILD" coderun.local/gcc:dev "$("$HERE/debian-rootfs.sh" gcc,g++,libc6-dev)" null '["gcc","--version"]' "$(runtime_env)"

# The toolchains of the other standard Runtimes: Debian packages only, nothing fetched at run
# time. Their Runtimes (deploy/runtimes/) set what each needs at run time (GOCACHE, ...).
"$BUILD" coderun.local/java:dev "$("$HERE/debian-rootfs.sh" openjdk-17-jdk-headless)" null '["java","-version"]' "$(runtime_env)"
"$BUILD" coderun.local/node:dev "$("$HERE/debian-rootfs.sh" nodejs)" null '["node","--version"]' "$(runtime_env)"
"$BUILD" coderun.local/go:dev "$("$HERE/debian-rootfs.sh" golang-go)" null '["go","version"]' "$(runtime_env CGO_ENABLED=0 GOCACHE=/tmp/go-cache GOPATH=/tmp/go)"
"$BUILD" coderun.local/rust:dev "$("$HERE/debian-rootfs.sh" rustc-web)" null '["rustc","--version"]' "$(runtime_env)"
"$BUILD" coderun.local/pypy3:dev "$("$HERE/debian-rootfs.sh" pypy3)" null '["pypy3"]' "$(runtime_env)"

if [ -f "$REPO_ROOT/runner/build.sh" ]; then
  bash "$REPO_ROOT/runner/build.sh" >&2
  [ -x "$REPO_ROOT/runner/bin/runner" ] || die "runner/build.sh did not produce runner/bin/runner"
  mkdir -p "$work/runner"
  cp "$REPO_ROOT/runner/bin/runner" "$work/runner/runner"
  "$BUILD" coderun.local/runner:dev "$work/runner" '["/runner"]'
else
  log "SKIPPED coderun.local/runner:dev: runner/build.sh does not exist yet"
fi
