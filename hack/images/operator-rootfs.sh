#!/bin/bash
# Assembles the operator image's root filesystem in DEST from this checkout (after npm install):
#   /usr/local/bin/node          the Node 22 the repository pins (the `node` package), as shipped
#   /lib/..., /lib64/...         the shared libraries that binary links, from this system's glibc
#   /app/dist                    the operator, compiled by tsc -p tsconfig.build.json
#   /app/node_modules            the production packages of node_modules/.package-lock.json,
#                                without type declarations and source maps (never loaded)
#   /app/package.json            {"type": "module", "version"}: dist/ is ES modules
#   /etc/passwd, /etc/group      the non-root user 65532 the image runs as
# No shell, no package manager, nothing written at run time. Used by build-operator-image.sh
# (daemonless) and deploy/images/operator.Dockerfile, so both images hold the same files.
#
#   operator-rootfs.sh DEST      (DEST must not exist)
set -euo pipefail
source "$(dirname "$0")/../cluster/lib.sh"

[ $# -eq 1 ] || die "usage: operator-rootfs.sh DEST"
dest=$1
[ ! -e "$dest" ] || die "$dest exists already; the root filesystem is assembled in a new directory"
cd "$REPO_ROOT"

node_bin=$(readlink -f node_modules/.bin/node)
[ -x "$node_bin" ] || die "node_modules/.bin/node is missing: run npm install first"
case $("$node_bin" --version) in
  v22.*) ;;
  *) die "node_modules/.bin/node is $("$node_bin" --version), not the pinned Node 22" ;;
esac
mkdir -p "$dest/usr/local/bin" "$dest/app" "$dest/etc"
cp "$node_bin" "$dest/usr/local/bin/node"

# The loader and every library at the path the binary asks for (symlinks resolved).
for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$dest$(dirname "$lib")"
  cp -L "$lib" "$dest$lib"
done

node_modules/.bin/tsc -p tsconfig.build.json --outDir "$dest/app/dist"
# The version is what coderun_build_info reports (src/observability/build-info.ts).
"$node_bin" -e 'const p = require("./package.json"); console.log(JSON.stringify({ type: "module", version: p.version }))' > "$dest/app/package.json"

# Each production package without its nested node_modules: the nested production packages are
# entries of their own in the lock file.
packages=$("$node_bin" -e '
  const lock = JSON.parse(require("fs").readFileSync("node_modules/.package-lock.json", "utf8"));
  for (const [path, entry] of Object.entries(lock.packages))
    if (path.startsWith("node_modules/") && !entry.dev && !entry.devOptional) console.log(path);
')
for package in $packages; do
  [ -d "$package" ] || die "$package is in node_modules/.package-lock.json but not installed: run npm install"
  mkdir -p "$dest/app/$package"
  tar -C "$package" --exclude=./node_modules -cf - . | tar -C "$dest/app/$package" -xf -
done
find "$dest/app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete

echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > "$dest/etc/passwd"
echo 'nonroot:x:65532:' > "$dest/etc/group"
