#!/usr/bin/env bash
# Builds the project images qoslab/<service>:dev from services/Dockerfile (context: the
# repository root) and loads them into the kind node. NODE_IMAGE is passed on as a build argument
# when set (a mirrored or locally built Node.js base).
set -euo pipefail
SCRIPT_NAME=build-images
# shellcheck source=k8s/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_cluster
build_args=()
if [[ -n ${NODE_IMAGE:-} ]]; then build_args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE"); fi

count=${#SERVICES[@]}
index=0
for service in "${SERVICES[@]}"; do
  index=$((index + 1))
  log "[$index/$count] building qoslab/$service:$IMAGE_TAG"
  docker build --quiet ${build_args[@]+"${build_args[@]}"} --build-arg "SERVICE=$service" -f "$REPO_ROOT/services/Dockerfile" \
    -t "qoslab/$service:$IMAGE_TAG" "$REPO_ROOT" >/dev/null
  log "[$index/$count] loading qoslab/$service:$IMAGE_TAG into $NODE"
  kind load docker-image --name "$CLUSTER" "qoslab/$service:$IMAGE_TAG" >/dev/null
done
log "done; k8s/scripts/deploy.sh pins these images by the digests the node reports"
