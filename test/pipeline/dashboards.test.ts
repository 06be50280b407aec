// The Grafana dashboards are well-formed, use only the provisioned data sources, and every PromQL
// expression in them parses (promtool) and names only metrics the pipeline produces.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { type MetricDefinition, METRICS } from '@qoslab/contracts/metrics';
import { METRIC_HTTP_CLIENT_REQUEST_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions';
import { dashboardFiles, metricNames, prometheusNames, shippedExpressions, substituteVariables } from '../lib/promql';
import { repoRoot, toolPath } from '@qoslab/native-stack';
import { run } from './support';


interface Target {
  datasource?: { type: string; uid: string };
  expr?: string;
  queryType?: string;
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string; datasource?: { uid: string } }[] };
}

const dashboards = dashboardFiles<Dashboard>();

// The services' metrics as Prometheus stores them, from the code that defines them: the kit's own
// instruments (@qoslab/contracts/metrics), the HTTP instrumentations' (semantic conventions), and what the
// Collector's Kubernetes receivers are configured to send (their names are the receivers', upstream).
const COLLECTOR_K8S_METRICS: MetricDefinition[] = [
  { name: 'k8s.container.restarts', kind: 'gauge', unit: '{restart}', description: 'k8s_cluster' },
  { name: 'k8s.pod.status_reason', kind: 'gauge', unit: '', description: 'k8s_cluster' },
  { name: 'k8s.pod.phase', kind: 'gauge', unit: '', description: 'k8s_cluster' },
  { name: 'k8s.node.condition_memory_pressure', kind: 'gauge', unit: '', description: 'k8s_cluster' },
  { name: 'k8s.node.condition_ready', kind: 'gauge', unit: '', description: 'k8s_cluster' },
  { name: 'k8s.node.allocatable_memory', kind: 'gauge', unit: 'By', description: 'k8s_cluster' },
  { name: 'k8s.pod.memory.working_set', kind: 'gauge', unit: 'By', description: 'kubelet_stats' },
  { name: 'container.memory.working_set', kind: 'gauge', unit: 'By', description: 'kubelet_stats' },
];
const HTTP_METRICS: MetricDefinition[] = [METRIC_HTTP_SERVER_REQUEST_DURATION, METRIC_HTTP_CLIENT_REQUEST_DURATION].map((name) => ({ name, kind: 'histogram', unit: 's', description: 'the kit’s http-server and http-client instrumentations' }));
const servicesMetrics = new Set([...Object.values(METRICS), ...HTTP_METRICS, ...COLLECTOR_K8S_METRICS].flatMap(prometheusNames));

// Besides those: the Collector's connectors and own metrics, the exporter's target_info, the scrape's
// up, and the recording rules.
const pipelineMetric =
  /^(traces_span_metrics_(calls_total|duration_seconds_(bucket|sum|count))|traces_service_graph_request_(total|failed_total|(server|client)_seconds_(bucket|sum|count))|otelcol_[a-z_]+|target_info|up|job:[a-z_:0-9]+|shop_qos_class:[a-z_:0-9]+)$/;
const knownMetric = { test: (name: string) => servicesMetrics.has(name) || pipelineMetric.test(name) };

test('there are the four dashboards of the kit', () => {
  assert.deepEqual(dashboards.map((d) => d.name).sort(), [
    'collector-health.json',
    'red-per-service.json',
    'service-graph.json',
    'worker-vitals.json',
  ]);
});

test('each dashboard has a unique uid, a title and laid-out panels', () => {
  const uids = new Set<string>();
  for (const { name, dashboard } of dashboards) {
    assert.ok(dashboard.uid && !uids.has(dashboard.uid), `${name}: missing or duplicate uid`);
    uids.add(dashboard.uid);
    assert.ok(dashboard.title, `${name}: no title`);
    assert.ok(dashboard.schemaVersion >= 39, `${name}: schemaVersion ${dashboard.schemaVersion} predates Grafana 11`);
    assert.ok(dashboard.panels.length > 0, `${name}: no panels`);
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos && panel.gridPos.w > 0 && panel.gridPos.x + panel.gridPos.w <= 24, `${name} / ${panel.title}: bad gridPos`);
    }
  }
});

test('panels use only the provisioned data sources, by uid', () => {
  const provisioned = readFileSync(join(repoRoot, 'observability', 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8');
  for (const uid of ['prometheus', 'jaeger']) assert.match(provisioned, new RegExp(`uid: ${uid}\\b`));
  for (const { name, dashboard } of dashboards) {
    for (const panel of dashboard.panels) {
      const sources = [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)].filter(Boolean);
      for (const source of sources) {
        assert.ok(
          (source!.type === 'prometheus' && source!.uid === 'prometheus') || (source!.type === 'jaeger' && source!.uid === 'jaeger'),
          `${name} / ${panel.title}: data source ${JSON.stringify(source)}`,
        );
      }
    }
  }
});

test('every dashboard expression parses as PromQL (promtool)', () => {
  const expressions = shippedExpressions().filter((e) => e.kind === 'dashboard');
  assert.ok(expressions.length >= 30, `only ${expressions.length} expressions found`);
  const scratch = mkdtempSync(join(tmpdir(), 'dashboards-'));
  try {
    const file = join(scratch, 'dashboard-expressions.yml');
    const rules = expressions.map(
      ({ expr }, i) => `      - record: dashboard:expression_${i}\n        expr: ${JSON.stringify(substituteVariables(expr))}`,
    );
    writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join('\n')}\n`);
    const result = run(toolPath('promtool'), ['check', 'rules', file]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('dashboards and rules name only metrics the pipeline produces', () => {
  const unknown: string[] = [];
  for (const { where, expr } of shippedExpressions()) {
    for (const name of metricNames(expr)) {
      if (!knownMetric.test(name)) unknown.push(`${where}: ${name}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test('the Prometheus names follow the translation: dots to underscores, unit suffix, _total on counters', () => {
  for (const name of ['http_server_request_duration_seconds_bucket', 'shop_orders_total', 'shop_container_memory_usage_bytes', 'shop_container_cpu_throttled_time_seconds_total', 'shop_worker_jobs_active', 'k8s_pod_phase']) {
    assert.ok(servicesMetrics.has(name), `${name} is not among the names derived from the code`);
  }
});

test('docs/architecture.md lists every instrument of the code with the name Prometheus stores', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Metric names'), doc.indexOf('\n## ', doc.indexOf('## Metric names') + 1));
  const missing = [...Object.values(METRICS), ...HTTP_METRICS, ...COLLECTOR_K8S_METRICS].filter((metric) => {
    const stored = (prometheusNames(metric)[0] as string).replace(/_bucket$/, '_*');
    return !table.includes(`\`${metric.name}\``) || !table.includes(`\`${stored}`);
  });
  assert.deepEqual(missing.map((metric) => metric.name), []);
});

test('the metric-name check recognises an unknown metric', () => {
  assert.deepEqual(metricNames('sum by (job) (rate(made_up_metric_total{job=~"$job"}[5m]))'), ['made_up_metric_total']);
  assert.ok(!knownMetric.test('made_up_metric_total'));
});

test('the service graph dashboard queries Jaeger for its dependency graph', () => {
  const graph = dashboards.find((d) => d.name === 'service-graph.json')!.dashboard;
  const jaegerTargets = graph.panels.flatMap((p) => p.targets ?? []).filter((t) => t.datasource?.uid === 'jaeger');
  assert.deepEqual(jaegerTargets.map((t) => t.queryType), ['dependencyGraph']);
});
