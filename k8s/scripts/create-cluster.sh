#!/usr/bin/env bash
# Creates the workshop's kind cluster from k8s/kind/cluster.yaml, with the pods' memory budget set
# to QOSLAB_POD_MEMORY_MIB (default 5120) whatever the host has, so memory pressure is reached by
# filling a few GiB and not the whole machine.
#
#   QOSLAB_POD_MEMORY_MIB=4096 k8s/scripts/create-cluster.sh
set -euo pipefail
SCRIPT_NAME=create-cluster
# shellcheck source=k8s/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POD_MEMORY_MIB="${QOSLAB_POD_MEMORY_MIB:-5120}"
KUBE_RESERVED_MIB=512
[[ $POD_MEMORY_MIB =~ ^[0-9]+$ ]] || die "QOSLAB_POD_MEMORY_MIB must be a number of MiB, not '$POD_MEMORY_MIB'"

require kind kubectl docker
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "cluster '$CLUSTER' exists already (k8s/scripts/teardown.sh deletes it)"
  exit 0
fi

# The kubelet in a kind node sees the memory of the Docker host (or of Docker Desktop's VM).
host_bytes=$(docker info --format '{{.MemTotal}}')
[[ $host_bytes =~ ^[0-9]+$ ]] || die "cannot read the Docker host's memory from 'docker info'"
host_mib=$((host_bytes / 1024 / 1024))
system_reserved_mib=$((host_mib - POD_MEMORY_MIB - KUBE_RESERVED_MIB))
if ((system_reserved_mib < 1024)); then
  die "the Docker host has ${host_mib} MiB; a ${POD_MEMORY_MIB} MiB pod budget leaves under 1 GiB for it. Lower QOSLAB_POD_MEMORY_MIB (at least 4096 for the whole lab)."
fi
log "Docker host memory ${host_mib} MiB: pods get ${POD_MEMORY_MIB} MiB, systemReserved ${system_reserved_mib} MiB, kubeReserved ${KUBE_RESERVED_MIB} MiB"

config=$(mktemp)
trap 'rm -f "$config"' EXIT
sed "s|memory: \"[0-9A-Za-z]*\" # qoslab:system-reserved|memory: \"${system_reserved_mib}Mi\" # qoslab:system-reserved|" \
  "$K8S_DIR/kind/cluster.yaml" >"$config"
grep -q "memory: \"${system_reserved_mib}Mi\" # qoslab:system-reserved" "$config" ||
  die "k8s/kind/cluster.yaml has no 'qoslab:system-reserved' line to set"

log "creating kind cluster '$CLUSTER' (pulls kindest/node the first time)"
kind create cluster --name "$CLUSTER" --config "$config" --wait 180s
kc wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
allocatable=$(kc get node "$NODE" -o jsonpath='{.status.allocatable.memory}')
log "ready: node $NODE, allocatable memory $allocatable (pods budget minus the 256Mi hard eviction threshold)"
