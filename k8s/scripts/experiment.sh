#!/usr/bin/env bash
# The QoS experiment: k6 (k8s/experiment) sends the same CPU jobs to the Guaranteed, Burstable and
# BestEffort workers, then memory jobs that push each past its memory limit and the node into
# memory pressure. The pods are polled while it runs; at the end the run directory gets the k6
# summary, events, Prometheus and Jaeger answers, and `qos report` prints the table per class.
#
#   k8s/scripts/experiment.sh
#   LOAD_SHAPE=smoke MEMORY_HOLD_MS=5000 k8s/scripts/experiment.sh     (a short dry run)
#
# Load settings (defaults in k8s/experiment/k6-job.yaml): LOAD_SHAPE, LOAD_RATE, CPU_UNITS,
# MEMORY_PHASE, MEMORY_MIB, MEMORY_HOLD_MS, MEMORY_RATE.
set -euo pipefail
SCRIPT_NAME=experiment
# shellcheck source=k8s/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_cluster
require curl node
PROMETHEUS_PORT="${QOSLAB_PROMETHEUS_PORT:-19090}"
JAEGER_PORT="${QOSLAB_JAEGER_PORT:-16686}"
TIMEOUT_S="${QOSLAB_EXPERIMENT_TIMEOUT_S:-1800}"
POLL_S=10
run_dir="$REPO_ROOT/.run/qos-experiment/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$run_dir"

qos_cli="$REPO_ROOT/tools/qos/dist/cli.js"
if [[ ! -f $qos_cli ]]; then
  log "building the qos CLI"
  (cd "$REPO_ROOT" && npm run build --workspace tools/qos >/dev/null)
fi

overlay=$(mktemp -d)
forwards=()
cleanup() {
  local pid
  for pid in ${forwards[@]+"${forwards[@]}"}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$overlay"
}
trap cleanup EXIT

port_forward() { # namespace service local-port remote-port
  kc -n "$1" port-forward "svc/$2" "$3:$4" >"$run_dir/port-forward-$2.log" 2>&1 &
  forwards+=("$!")
  local _
  for _ in $(seq 1 30); do
    curl -s -o /dev/null "http://127.0.0.1:$3/" && return 0
    sleep 1
  done
  die "port-forward to $1/$2 on 127.0.0.1:$3 did not come up; see $run_dir/port-forward-$2.log"
}

log "run directory: $run_dir"
log "[1/5] port-forwards: Prometheus 127.0.0.1:$PROMETHEUS_PORT, Jaeger 127.0.0.1:$JAEGER_PORT"
port_forward observability prometheus "$PROMETHEUS_PORT" 9090
port_forward observability jaeger "$JAEGER_PORT" 16686

log "[2/5] starting k6"
env_patch=""
for variable in LOAD_SHAPE LOAD_RATE CPU_UNITS MEMORY_PHASE MEMORY_MIB MEMORY_HOLD_MS MEMORY_RATE; do
  [[ -n ${!variable:-} ]] || continue
  env_patch+="                  - { name: $variable, value: \"${!variable}\" }"$'\n'
done
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources:"
  echo "  - $(realpath --relative-to="$overlay" "$K8S_DIR/experiment")"
  if [[ -n $env_patch ]]; then
    echo "patches:"
    echo "  - patch: |-"
    echo "      apiVersion: batch/v1"
    echo "      kind: Job"
    echo "      metadata: { name: qos-lab-k6 }"
    echo "      spec:"
    echo "        template:"
    echo "          spec:"
    echo "            containers:"
    echo "              - name: k6"
    echo "                env:"
    printf '%s' "$env_patch"
  fi
} >"$overlay/kustomization.yaml"
kc -n qos-lab delete job qos-lab-k6 --ignore-not-found --wait=true >/dev/null
kc -n qos-lab get pods -o json >"$run_dir/pods-0001.json"
start=$(date +%s)
render "$overlay" | kc apply -f - >/dev/null

log "[3/5] polling every ${POLL_S}s (MemoryPressure is the node condition; restarts and last termination per worker)"
snapshot=1
while true; do
  sleep "$POLL_S"
  snapshot=$((snapshot + 1))
  kc -n qos-lab get pods -o json >"$run_dir/pods-$(printf '%04d' "$snapshot").json"
  elapsed=$(($(date +%s) - start))
  pressure=$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="MemoryPressure")].status}')
  workers=$(kc -n qos-lab get pods -l app.kubernetes.io/name=worker --no-headers \
    -o custom-columns='V:.metadata.labels.qoslab\.dev/variant,P:.status.phase,R:.status.reason,N:.status.containerStatuses[0].restartCount,L:.status.containerStatuses[0].lastState.terminated.reason' |
    awk '{ line = line sprintf("%s %s%s restarts=%s%s | ", $1, $2, ($3 == "<none>" ? "" : "/" $3), $4, ($5 == "<none>" ? "" : " last=" $5)) } END { print line }')
  succeeded=$(kc -n qos-lab get job qos-lab-k6 -o jsonpath='{.status.succeeded}')
  failed=$(kc -n qos-lab get job qos-lab-k6 -o jsonpath='{.status.failed}')
  log "  +${elapsed}s MemoryPressure=${pressure:-?} | ${workers}"
  [[ ${succeeded:-0} -gt 0 || ${failed:-0} -gt 0 ]] && break
  ((elapsed < TIMEOUT_S)) || die "k6 still running after ${TIMEOUT_S}s; the data so far is in $run_dir"
done
end=$(date +%s)
[[ ${failed:-0} -gt 0 ]] && log "  k6 reported failed thresholds (expected: the lab breaks workers on purpose)"

log "[4/5] collecting the k6 summary, events, metrics and traces"
kc -n qos-lab logs job/qos-lab-k6 >"$run_dir/k6.log" 2>&1 || true
sed -n '/^--- qoslab k6 summary ---$/,$p' "$run_dir/k6.log" | tail -n +2 >"$run_dir/k6-summary.json"
kc -n qos-lab get events -o json >"$run_dir/events.json"
window=$((end - start + 60))
prometheus_query() { # file query
  curl -sfG "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$end" >"$run_dir/$1" ||
    log "  Prometheus query for $1 failed"
}
prometheus_query prometheus-throttled.json "sum by (shop_qos_class) (increase(shop_container_cpu_throttled_periods_total{k8s_namespace_name=\"qos-lab\"}[${window}s]))"
prometheus_query prometheus-periods.json "sum by (shop_qos_class) (increase(shop_container_cpu_periods_total{k8s_namespace_name=\"qos-lab\"}[${window}s]))"
for variant in guaranteed burstable besteffort; do
  curl -sfG "http://127.0.0.1:$JAEGER_PORT/api/traces" --data-urlencode "service=worker-$variant" \
    --data-urlencode "start=$((start * 1000000))" --data-urlencode "end=$((end * 1000000))" \
    --data-urlencode "limit=1000" >"$run_dir/jaeger-worker-$variant.json" || log "  Jaeger query for worker-$variant failed"
done

log "[5/5] result"
node "$qos_cli" report --jaeger-ui "http://localhost:$JAEGER_PORT" "$run_dir"
cat >&2 <<EOT
$SCRIPT_NAME: raw data in $run_dir
$SCRIPT_NAME: the trace links need: kubectl --context $CONTEXT -n observability port-forward svc/jaeger $JAEGER_PORT:16686
EOT
