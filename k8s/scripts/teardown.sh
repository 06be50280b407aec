#!/usr/bin/env bash
# Deletes the workshop's kind cluster and the generated overlay. Images stay in Docker.
set -euo pipefail
SCRIPT_NAME=teardown
# shellcheck source=k8s/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kind
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  log "no cluster '$CLUSTER'"
fi
rm -rf "$K8S_DIR/.generated"
