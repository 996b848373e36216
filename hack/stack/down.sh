#!/usr/bin/env bash
# `npm run down`: stops the operator started by `npm run up`, then the local cluster.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../cluster/lib.sh"
mkdir -p "$PID_DIR"
stop_component operator
bash "$HERE/../cluster/down.sh"
