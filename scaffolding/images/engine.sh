#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket.
#
#   engine.sh [start]   install Debian's docker.io if dockerd is missing, start dockerd in the
#                       background if no engine answers, wait until `docker info` does (bounded)
#   engine.sh stop      stop the dockerd that `start` launched (never one started by someone else)
#   engine.sh status    one line: running or not, storage driver, who started it
#   engine.sh compose   print the Compose command of this machine ("docker compose" or
#                       "docker-compose"), installing Debian's docker-compose if there is none
#
# Idempotent: `start` does nothing when an engine already answers. Needs root only to install
# packages or start dockerd. Logs go to $QOSLAB_CACHE/docker/.
set -euo pipefail
SCRIPT_NAME=engine.sh
# shellcheck source=scaffolding/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE_DIR="$QOSLAB_CACHE/docker"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
START_TIMEOUT="${QOSLAB_DOCKER_START_TIMEOUT:-60}"

# pid of the dockerd this script started, if it is still that process.
own_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
  printf '%s\n' "$pid"
}

ensure_installed() {
  command -v docker >/dev/null && command -v dockerd >/dev/null && return 0
  log "installing Debian's docker.io (dockerd, containerd, runc, iptables)…"
  apt_install docker.io
  command -v dockerd >/dev/null || die "docker.io installed but dockerd is not on PATH"
}

# dockerd programs NAT and filter rules through `iptables`; Debian defaults to the nf_tables
# backend. If the kernel lacks nf_tables but has the legacy tables, switch the alternative; if
# neither works, run without iptables (containers then reach each other but not the network).
iptables_args() {
  if iptables -t nat -S >/dev/null 2>&1; then
    return 0
  fi
  if command -v iptables-legacy >/dev/null && iptables-legacy -t nat -S >/dev/null 2>&1; then
    log "iptables (nf_tables) unusable here; switching to iptables-legacy"
    update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
    update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
    return 0
  fi
  log "warning: no working iptables; starting dockerd with --iptables=false (containers get no outbound NAT: build with --network host)"
  printf '%s\n' --iptables=false --ip-masq=false
}

# overlay2 is dockerd's first choice and works on ext4/xfs. It cannot stack on overlayfs (a
# Docker-in-Docker data root), where dockerd would silently fall back to the slow vfs driver:
# say so. QOSLAB_DOCKER_STORAGE_DRIVER forces a driver.
storage_args() {
  if [[ -n "${QOSLAB_DOCKER_STORAGE_DRIVER:-}" ]]; then
    printf '%s\n' "--storage-driver=$QOSLAB_DOCKER_STORAGE_DRIVER"
    return 0
  fi
  local root=/var/lib/docker fs
  mkdir -p "$root"
  fs="$(stat -f -c %T "$root")"
  if [[ "$fs" == overlayfs ]] || ! grep -qw overlay /proc/filesystems; then
    log "warning: $root is on $fs or the kernel has no overlay filesystem: using vfs (slow, uses a lot of disk)"
    printf '%s\n' --storage-driver=vfs
  fi
}

start() {
  if docker_ready; then
    return 0
  fi
  ensure_installed
  if docker_ready; then
    return 0
  fi
  need_root "starting dockerd"
  if own_pid >/dev/null; then
    log "dockerd (pid $(own_pid)) is starting; waiting"
  else
    mkdir -p "$STATE_DIR"
    local -a args
    mapfile -t args < <(iptables_args; storage_args)
    log "starting dockerd${args[*]:+ ${args[*]}} (log: $LOG_FILE)"
    # setsid: the daemon must outlive this shell and its process group.
    setsid dockerd "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
  fi
  local waited=0
  until docker_ready; do
    if ! own_pid >/dev/null; then
      rm -f "$PID_FILE"
      die "dockerd exited during start-up: $(grep -E 'level=(fatal|error)' "$LOG_FILE" | tail -n1 | cut -c1-300) (full log: $LOG_FILE)"
    fi
    if ((waited >= START_TIMEOUT)); then
      die "dockerd did not answer within ${START_TIMEOUT}s (log: $LOG_FILE); stop it with: $0 stop"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  local driver
  driver="$(docker info --format '{{.Driver}}')"
  [[ "$driver" != vfs || -n "${QOSLAB_DOCKER_STORAGE_DRIVER:-}" ]] ||
    log "warning: dockerd chose the vfs storage driver (every layer is a full copy): see $LOG_FILE"
  log "engine ready after ${waited}s (storage driver $driver)"
}

stop() {
  local pid
  if ! pid="$(own_pid)"; then
    rm -f "$PID_FILE"
    docker_ready && log "the running engine was not started by this script; leaving it alone"
    return 0
  fi
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  # dockerd stops its containers (10 s grace each, in parallel) and its containerd first.
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 60)); then
      die "dockerd (pid $pid) still running 60s after SIGTERM; see $LOG_FILE"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
}

status() {
  if docker_ready; then
    local who=external
    own_pid >/dev/null && who="started by engine.sh, pid $(own_pid)"
    printf 'running: %s, storage driver %s (%s)\n' \
      "$(docker version --format 'server {{.Server.Version}}')" "$(docker info --format '{{.Driver}}')" "$who"
  else
    printf 'not running\n'
    return 1
  fi
}

compose() {
  if docker compose version >/dev/null 2>&1; then
    printf 'docker compose\n'
    return 0
  fi
  if ! command -v docker-compose >/dev/null; then
    # Debian bookworm packages no Compose v2 plugin; its docker-compose is Compose 1.29.
    log "no Compose found; installing Debian's docker-compose"
    apt_install docker-compose
  fi
  docker-compose version >/dev/null 2>&1 || die "docker-compose is installed but does not run: try 'docker-compose version'"
  printf 'docker-compose\n'
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  compose) compose ;;
  *) die "unknown command '${1}'; use start, stop, status or compose" ;;
esac
