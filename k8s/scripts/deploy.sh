#!/usr/bin/env bash
# Deploys the kind overlay: namespaces, generated secrets, then everything with the project images
# pinned by the digests the kind node reports for the images build-images.sh loaded. Waits for the
# rollouts and checks that network policies are enforced.
set -euo pipefail
SCRIPT_NAME=deploy
# shellcheck source=k8s/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_cluster

# Secrets are generated here, once, and never written to the repository: no default passwords.
random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ensure_secret() { # namespace name
  if kc -n "$1" get secret "$2" >/dev/null 2>&1; then
    log "secret $1/$2 exists; keeping it"
  else
    kc -n "$1" create secret generic "$2" --from-literal=password="$(random_secret)" >/dev/null
    log "created secret $1/$2 with a random password"
  fi
}

log "[1/5] namespaces (Pod Security 'restricted')"
kc apply -f "$K8S_DIR/base/shop/namespace.yaml" -f "$K8S_DIR/base/observability/namespace.yaml" \
  -f "$K8S_DIR/components/qos-lab/namespace.yaml" >/dev/null

log "[2/5] secrets"
ensure_secret shop postgres-credentials
ensure_secret observability grafana-admin

log "[3/5] pinning project images by digest"
pins=()
for service in "${SERVICES[@]}"; do
  digest=$(docker exec "$NODE" crictl images --digests --no-trunc 2>/dev/null |
    awk -v image="docker.io/qoslab/$service" -v tag="$IMAGE_TAG" '$1 == image && $2 == tag { print $3; exit }')
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] ||
    die "qoslab/$service:$IMAGE_TAG is not loaded in $NODE; run k8s/scripts/build-images.sh"
  pins+=("$service=$digest")
done
"$K8S_DIR/scripts/render-overlay.sh" "$GENERATED_DIR" "${pins[@]}"

log "[4/5] applying the kind overlay"
manifests=$(mktemp)
trap 'rm -f "$manifests"' EXIT
render "$GENERATED_DIR" >"$manifests"
kc apply -f "$manifests" >/dev/null

log "[5/5] waiting for rollouts"
for namespace in observability shop qos-lab; do
  while read -r workload; do
    [[ -n $workload ]] || continue
    log "  $namespace/$workload"
    kc -n "$namespace" rollout status "$workload" --timeout=300s >/dev/null ||
      die "$namespace/$workload did not become ready; see: kubectl --context $CONTEXT -n $namespace describe $workload"
  done < <(kc -n "$namespace" get deployments,statefulsets,daemonsets -o name)
done

# A pod in qos-lab may talk only to the workers: if it can reach the gateway, policies are not enforced.
probe_overrides='{"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":12345,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"netpol-probe","image":"grafana/k6:1.7.1@sha256:4fd3a694926b064d3491d9b02b01cde886583c4931f1223816e3d9a7bdfa7e0f","command":["wget","-q","-T","5","-O","/dev/null","http://gateway.shop.svc.cluster.local:8080/healthz"],"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}'
kc -n qos-lab delete pod netpol-probe --ignore-not-found >/dev/null
kc -n qos-lab run netpol-probe --restart=Never --image=grafana/k6 --overrides="$probe_overrides" >/dev/null
phase=""
for _ in $(seq 1 30); do
  phase=$(kc -n qos-lab get pod netpol-probe -o jsonpath='{.status.phase}' 2>/dev/null || true)
  [[ $phase == Succeeded || $phase == Failed ]] && break
  sleep 2
done
kc -n qos-lab delete pod netpol-probe --ignore-not-found >/dev/null
case $phase in
  Failed) log "network policies enforced: a qos-lab pod cannot reach the shop gateway" ;;
  Succeeded) log "WARNING: a qos-lab pod reached the shop gateway: this cluster's CNI does NOT enforce NetworkPolicy (see k8s/kind/cluster.yaml)" ;;
  *) log "WARNING: could not check NetworkPolicy enforcement (probe pod phase: ${phase:-none})" ;;
esac

cat >&2 <<EOT
$SCRIPT_NAME: deployed. Reach the cluster with port-forwards, for example:
  kubectl --context $CONTEXT -n shop port-forward svc/gateway 8080:8080
  kubectl --context $CONTEXT -n observability port-forward svc/jaeger 16686:16686
  kubectl --context $CONTEXT -n observability port-forward svc/grafana 3000:3000
EOT
