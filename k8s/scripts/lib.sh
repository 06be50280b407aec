# Sourced by the scripts in k8s/scripts/. Not executable on its own.
# shellcheck shell=bash

K8S_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$K8S_DIR/.." && pwd)"
CLUSTER="${QOSLAB_CLUSTER:-qoslab}"
CONTEXT="kind-$CLUSTER"
# shellcheck disable=SC2034 # NODE, IMAGE_TAG, SERVICES and GENERATED_DIR are used by the scripts that source this file
{
  NODE="$CLUSTER-control-plane"
  IMAGE_TAG="${QOSLAB_IMAGE_TAG:-dev}"
  SERVICES=(gateway catalog orders payments worker)
  GENERATED_DIR="$K8S_DIR/.generated/kind"
}
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"

log() { printf '%s: %s\n' "${SCRIPT_NAME:-k8s}" "$*" >&2; }
die() {
  printf '%s: %s\n' "${SCRIPT_NAME:-k8s}" "$*" >&2
  exit 1
}

require() {
  local command
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || die "$command is not installed (see docs/workshop.md, 'Before the workshop')"
  done
}

kc() { kubectl --context "$CONTEXT" "$@"; }

# kustomize with the files outside k8s/ (collector, Prometheus, Grafana, k6 configs) allowed.
render() { kubectl kustomize --load-restrictor LoadRestrictionsNone "$1"; }

require_cluster() {
  require kind kubectl docker
  kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || die "no kind cluster '$CLUSTER'; run k8s/scripts/create-cluster.sh first"
}
