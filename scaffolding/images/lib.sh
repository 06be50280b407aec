# Sourced by the scripts in scaffolding/images/. Not executable on its own.
# shellcheck shell=bash

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
QOSLAB_CACHE="${QOSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qoslab}"
# Local stand-in images are tagged under this prefix; nothing under it is ever pushed or pulled.
# shellcheck disable=SC2034 # used by the scripts that source this file
LOCAL_PREFIX="${QOSLAB_LOCAL_PREFIX:-qoslab-local}"

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root (run as root or with sudo)"
}

# apt-get install that refreshes the package lists once when a package is unknown.
apt_install() {
  need_root "installing $*"
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your system's package manager"
  export DEBIAN_FRONTEND=noninteractive
  local log_file="$QOSLAB_CACHE/apt-install.log"
  mkdir -p "$QOSLAB_CACHE"
  if ! apt-get install -y --no-install-recommends "$@" >"$log_file" 2>&1; then
    apt-get update >>"$log_file" 2>&1 || die "apt-get update failed; see $log_file"
    apt-get install -y --no-install-recommends "$@" >>"$log_file" 2>&1 ||
      die "apt-get install $* failed; see $log_file"
  fi
}

# First 12 hex digits of the sha256 of the given files' contents (in the order given).
hash_files() {
  cat "$@" | sha256sum | cut -c1-12
}

docker_ready() {
  docker info >/dev/null 2>&1
}

require_docker() {
  docker_ready || die "no Docker engine answers; start one with scaffolding/images/engine.sh start"
}

# True when an image with this reference exists locally and carries label qoslab.inputs=$2.
image_current() {
  local got
  got="$(docker image inspect --format '{{ index .Config.Labels "qoslab.inputs" }}' "$1" 2>/dev/null)" || return 1
  [[ "$got" == "$2" ]]
}

node_version() {
  tr -d '[:space:]' <"$REPO_ROOT/.node-version"
}
