# Shared settings and helpers for the local cluster scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034,SC2154  # settings used by the sourcing scripts

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER_DIR=$REPO_ROOT/.cluster
PKI_DIR=$CLUSTER_DIR/pki
LOG_DIR=$CLUSTER_DIR/logs
PID_DIR=$CLUSTER_DIR/pids
CONF_DIR=$CLUSTER_DIR/config
ETCD_DATA_DIR=$CLUSTER_DIR/etcd
TIMINGS_FILE=$CLUSTER_DIR/timings
KUBECONFIG_FILE=$CLUSTER_DIR/kubeconfig
CACHE_DIR=${CODERUN_CACHE:-/var/cache/coderun}

POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
FIRST_SERVICE_IP=10.96.0.1
CNI_NETWORK=coderun-pods
CNI_BIN_DIR=/usr/lib/cni
CNI_CONF_DIR=/etc/cni/net.d
CONTAINERD_SOCK=/run/containerd/containerd.sock
KUBELET_DIR=/var/lib/kubelet
# host-local keeps one file per leased pod IP here.
CNI_LEASE_DIR=/var/lib/cni/networks/$CNI_NETWORK

NODE_NAME=$(hostname | tr '[:upper:]' '[:lower:]')

# Go builds: the module graph is pinned by go.mod/go.sum; never fetch a newer toolchain.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
# A failure inside $(...) must fail the caller too; a script ended by a failing command names it.
shopt -s inherit_errexit
trap 'rc=$?; if [ $rc -ne 0 ] && [[ $BASH_COMMAND != exit* ]]; then printf "[cluster] ERROR: %s exited with %s after: %s\n" "${0##*/}" "$rc" "$BASH_COMMAND" >&2; fi' EXIT

node_ip() {
  ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -n1
}

log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# Runs "$@" and appends "<phase> <seconds>" to .cluster/timings, so cold and cached
# bring-ups can be compared from the record rather than from memory.
timed() {
  local phase=$1; shift
  local start_ms elapsed_ms
  start_ms=$(( $(date +%s%N) / 1000000 ))
  "$@"
  elapsed_ms=$(( $(date +%s%N) / 1000000 - start_ms ))
  printf '%s %s %d.%03d\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$phase" $(( elapsed_ms / 1000 )) $(( elapsed_ms % 1000 )) >> "$TIMINGS_FILE"
}

# A component is running when its pid file names a live process of the same binary.
component_pid() {
  local name=$1 pid
  [ -f "$PID_DIR/$name.pid" ] || return 1
  pid=$(cat "$PID_DIR/$name.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$(cat "$PID_DIR/$name.bin" 2>/dev/null || echo "$name")" || return 1
  echo "$pid"
}

is_running() { component_pid "$1" >/dev/null; }

# start_component NAME BINARY ARGS... : starts BINARY in its own session, logs to logs/NAME.log.
start_component() {
  local name=$1 bin=$2; shift 2
  if is_running "$name"; then
    log "$name already running (pid $(component_pid "$name"))"
    return 0
  fi
  log "starting $name"
  echo "$bin" > "$PID_DIR/$name.bin"
  # 9>&-: the daemon must not inherit the cluster lock (take_cluster_lock), or it holds it forever.
  setsid "$bin" "$@" >> "$LOG_DIR/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$PID_DIR/$name.pid"
}

# stop_component NAME [GRACE_SECONDS] : SIGTERM, then SIGKILL after the grace period (default
# 10 s); waits until the process is gone.
stop_component() {
  local name=$1 grace=${2:-10} pid i
  if pid=$(component_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 $(( grace * 10 ))); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      while [ -d "/proc/$pid" ]; do sleep 0.1; done
    fi
  fi
  rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.bin"
}

# wait_until SECONDS DESCRIPTION COMMAND... : polls COMMAND every 0.2 s.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "timed out after ${timeout}s waiting for $what (logs in $LOG_DIR)"
    fi
    sleep 0.2
  done
}

# Holds an exclusive lock on the cluster for the rest of the calling script, so that two
# callers (e.g. parallel jest projects) never start components twice.
take_cluster_lock() {
  # up.sh calling down.sh (to stop strays of this path) already holds the lock on fd 9.
  [ "${CODERUN_CLUSTER_LOCK_HELD:-}" = "$CLUSTER_DIR" ] && return 0
  mkdir -p "$CLUSTER_DIR"
  exec 9> "$CLUSTER_DIR/up.lock"
  if ! flock -n 9; then
    log "another cluster script is running; waiting for its lock"
    flock 9
  fi
}
