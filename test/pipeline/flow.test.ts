// Telemetry through the real pipeline: the kit's Collector (shipped base config), Jaeger and
// Prometheus run on loopback ports; the test sends OTLP like the services do and reads the results
// back through Jaeger's and Prometheus' HTTP APIs. It proves the redaction, the Prometheus names of
// span_metrics, servicegraph and http.server.request.duration, and which resource attributes become
// labels (docs/pipeline.md lists them).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePorts, ManagedProcess, type Ports, repoRoot, stackSpecs } from '@qoslab/native-stack';
import { getTrace, type PromSeries, promQuery } from '@qoslab/observability-client';
import { getOk } from './support';
import { waitFor } from '@qoslab/http-kit/testing';

type Attribute = { key: string; value: { stringValue?: string; intValue?: string } };

const attrs = (values: Record<string, string | number>): Attribute[] =>
  Object.entries(values).map(([key, value]) =>
    typeof value === 'number' ? { key, value: { intValue: String(value) } } : { key, value: { stringValue: value } },
  );

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;


const processes: ManagedProcess[] = [];
let scratch: string;
let port: Ports;

const prometheusQuery = (query: string) => promQuery(`http://127.0.0.1:${port.prometheus}`, query);

/** Waits until the PromQL query returns at least one series and returns them. */
async function promSeries(query: string): Promise<PromSeries[]> {
  return waitFor(
    `Prometheus data for ${query}`,
    async () => {
      const result = await prometheusQuery(query);
      return result.length > 0 ? result : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1_000 },
  );
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  assert.ok(response.ok, `${url} answered ${response.status}: ${await response.text()}`);
}

const traceId = hex(16);
const ids = { gatewayServer: hex(8), gatewayClient: hex(8), ordersServer: hex(8), ordersDb: hex(8) };
const card = '4242 4242 4242 4242';

function shopTrace() {
  const now = Date.now();
  const span = (
    spanId: string,
    parentSpanId: string,
    name: string,
    kind: number,
    startMs: number,
    endMs: number,
    attributes: Attribute[],
  ) => ({
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startTimeUnixNano: nanos(now - 1000 + startMs),
    endTimeUnixNano: nanos(now - 1000 + endMs),
    attributes,
    status: {},
  });
  const resource = (service: string) => ({ attributes: attrs({ 'service.name': service }) });
  return {
    resourceSpans: [
      {
        resource: resource('gateway'),
        scopeSpans: [
          {
            scope: { name: 'pipeline-test' },
            spans: [
              span(ids.gatewayServer, '', 'POST /api/orders', 2, 0, 120, attrs({
                'http.request.method': 'POST',
                'http.route': '/api/orders',
                'http.response.status_code': 201,
                'http.request.header.authorization': 'Bearer abc.def.ghi',
                'app.note': `paid with ${card}`,
                'url.full': 'http://127.0.0.1:8080/api/orders?api_key=s3cr3t&limit=5',
              })),
              span(ids.gatewayClient, ids.gatewayServer, 'POST', 3, 10, 110, attrs({
                'http.request.method': 'POST',
                'http.response.status_code': 201,
              })),
            ],
          },
        ],
      },
      {
        resource: resource('orders'),
        scopeSpans: [
          {
            scope: { name: 'pipeline-test' },
            spans: [
              span(ids.ordersServer, ids.gatewayClient, 'POST /orders', 2, 20, 100, attrs({
                'http.request.method': 'POST',
                'http.route': '/orders',
                'http.response.status_code': 201,
              })),
              span(ids.ordersDb, ids.ordersServer, 'INSERT shop', 3, 30, 40, attrs({
                'db.system.name': 'postgresql',
                'db.namespace': 'shop',
              })),
            ],
          },
        ],
      },
    ],
  };
}

function workerMetrics() {
  const now = Date.now();
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: attrs({
            'service.name': 'worker',
            'service.instance.id': 'worker-1',
            'shop.qos.class': 'guaranteed',
            'deployment.environment.name': 'pipeline-test',
            'host.name': 'a-host-that-must-not-become-a-label',
          }),
        },
        scopeMetrics: [
          {
            scope: { name: 'pipeline-test' },
            metrics: [
              {
                name: 'http.server.request.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      attributes: attrs({ 'http.request.method': 'POST', 'http.route': '/jobs/cpu', 'http.response.status_code': 200 }),
                      startTimeUnixNano: nanos(now - 60_000),
                      timeUnixNano: nanos(now),
                      count: '3',
                      sum: 0.35,
                      bucketCounts: ['1', '2', '0'],
                      explicitBounds: [0.1, 0.5],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'pipeline-flow-'));
  port = await freePorts();
  const specs = stackSpecs({ runDir: scratch, ports: port, traffic: false, only: ['prometheus', 'jaeger', 'otel-collector'] });
  // The shipped Prometheus config (the stack copies it into its run directory with this test's Collector
  // target) with a shorter scrape interval, so the test does not wait 15 s per scrape.
  const shipped = readFileSync(join(repoRoot, 'observability', 'prometheus', 'prometheus.yml'), 'utf8');
  assert.ok(shipped.includes('files: [targets/otel-collector.yml]'), 'prometheus.yml reads the Collector target from targets/otel-collector.yml');
  const promConfig = join(scratch, 'prometheus-config', 'prometheus.yml');
  writeFileSync(promConfig, shipped.replace('scrape_interval: 15s', 'scrape_interval: 2s'));
  processes.push(...specs.map((spec) => new ManagedProcess(spec)));
  for (const managed of processes) managed.start();
  for (const managed of processes) await managed.waitReady(60_000);

  await postJson(`http://127.0.0.1:${port.otlpHttp}/v1/traces`, shopTrace());
  await postJson(`http://127.0.0.1:${port.otlpHttp}/v1/metrics`, workerMetrics());
});

after(async () => {
  const failures: string[] = [];
  for (const managed of processes.reverse()) {
    const code = await managed.stop();
    if (code !== 0) failures.push(`${managed.name}: exit ${code}:\n${managed.tail()}`);
  }
  rmSync(scratch, { recursive: true, force: true });
  assert.deepEqual(failures, [], 'a pipeline process did not stop cleanly');
});

describe('traces', () => {
  test('reach Jaeger with card numbers and credentials masked', async () => {
    const trace = await waitFor('the trace in Jaeger', () => getTrace(`http://127.0.0.1:${port.jaegerQuery}`, traceId), { timeoutMs: 30_000 });
    const body = JSON.stringify(trace);
    assert.ok(!body.includes(card), 'the card number reached Jaeger');
    assert.ok(!body.includes('abc.def.ghi'), 'the bearer token reached Jaeger');
    assert.ok(!body.includes('s3cr3t'), 'the API key in the URL reached Jaeger');

    assert.equal(trace.spans.length, 4);
    const root = trace.spans.find((s) => s.spanID === ids.gatewayServer);
    assert.ok(root, 'the gateway server span is missing');
    const tag = (key: string) => root.tags.find((t) => t.key === key)?.value;
    assert.equal(tag('app.note'), 'paid with ****');
    assert.equal(tag('http.request.header.authorization'), '****');
    assert.equal(tag('url.full'), 'http://127.0.0.1:8080/api/orders?****&limit=5');
    assert.equal(tag('http.route'), '/api/orders', 'an attribute without secrets was changed');
    assert.equal(tag('redaction.masked.count'), 3);
  });
});

describe('metrics in Prometheus', () => {
  test('span_metrics: traces_span_metrics_calls_total and _duration_seconds with RED dimensions', async () => {
    const calls = await promSeries('traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER", service_name="gateway"}');
    assert.deepEqual(
      { ...calls[0]!.metric },
      {
        __name__: 'traces_span_metrics_calls_total',
        job: 'gateway',
        otel_scope_name: 'spanmetricsconnector',
        service_name: 'gateway',
        span_name: 'POST /api/orders',
        span_kind: 'SPAN_KIND_SERVER',
        status_code: 'STATUS_CODE_UNSET',
        http_request_method: 'POST',
        http_route: '/api/orders',
        http_response_status_code: '201',
      },
    );
    const buckets = await promSeries('traces_span_metrics_duration_seconds_bucket{job="orders", span_kind="SPAN_KIND_SERVER", le="0.1"}');
    assert.equal(buckets[0]!.value[1], '1', 'the 80 ms orders span belongs in the le=0.1 bucket');

    // The histogram's exemplar points at the trace, so Grafana can jump from a latency bucket to Jaeger.
    const exemplars = await waitFor('an exemplar on the gateway duration histogram', async () => {
      const now = Date.now() / 1000;
      const query = encodeURIComponent('traces_span_metrics_duration_seconds_bucket{job="gateway"}');
      const text = await getOk(`http://127.0.0.1:${port.prometheus}/api/v1/query_exemplars?query=${query}&start=${now - 600}&end=${now + 60}`);
      const data = (JSON.parse(text ?? '{}') as { data?: { exemplars: { labels: Record<string, string> }[] }[] }).data ?? [];
      const found = data.flatMap((series) => series.exemplars);
      return found.length > 0 ? found : undefined;
    });
    assert.ok(exemplars.some((e) => e.labels.trace_id === traceId), JSON.stringify(exemplars));
  });

  test('servicegraph: edges between services and to the database', async () => {
    const edges = await waitFor(
      'both service graph edges',
      async () => {
        const result = await prometheusQuery('traces_service_graph_request_total');
        return result.length >= 3 ? result : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    const pairs = edges.map((e) => `${e.metric.client}->${e.metric.server}:${e.metric.connection_type ?? ''}`).sort();
    assert.deepEqual(pairs, ['gateway->orders:', 'orders->shop:database', 'user->gateway:virtual_node']);
    const edge = edges.find((e) => e.metric.client === 'gateway')!;
    assert.deepEqual(
      { ...edge.metric },
      {
        __name__: 'traces_service_graph_request_total',
        otel_scope_name: 'traces_service_graph',
        client: 'gateway',
        server: 'orders',
        failed: 'false',
      },
      'connection_type is empty for a plain call, so Prometheus drops the label',
    );
    assert.equal(edge.value[1], '1');
    await promSeries('traces_service_graph_request_server_seconds_bucket{client="gateway", server="orders"}');
    await promSeries('traces_service_graph_request_client_seconds_count{client="gateway", server="orders"}');
  });

  test('http.server.request.duration: only shop.qos.class and deployment.environment.name become labels', async () => {
    const series = await promSeries('http_server_request_duration_seconds_count{job="worker"}');
    assert.deepEqual(
      { ...series[0]!.metric },
      {
        __name__: 'http_server_request_duration_seconds_count',
        job: 'worker',
        instance: 'worker-1',
        otel_scope_name: 'pipeline-test',
        shop_qos_class: 'guaranteed',
        deployment_environment_name: 'pipeline-test',
        http_request_method: 'POST',
        http_route: '/jobs/cpu',
        http_response_status_code: '200',
      },
    );
    assert.equal(series[0]!.value[1], '3');
    // Every resource attribute is still queryable, once per service instance, in target_info.
    const info = await promSeries('target_info{job="worker"}');
    assert.equal(info[0]!.metric.host_name, 'a-host-that-must-not-become-a-label');
  });

  test('Prometheus loaded every shipped rule without errors', async () => {
    type Rule = { name: string; health: string; lastError?: string };
    const text = await getOk(`http://127.0.0.1:${port.prometheus}/api/v1/rules`);
    const groups = (JSON.parse(text ?? '{}') as { data: { groups: { name: string; rules: Rule[] }[] } }).data.groups;
    const rules = groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 20, `only ${rules.length} rules loaded`);
    assert.deepEqual(rules.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`), []);
  });

  test("the Collector's own metrics are scraped", async () => {
    const accepted = await promSeries('otelcol_receiver_accepted_spans{job="otel-collector", receiver="otlp"}');
    assert.ok(Number(accepted[0]!.value[1]) >= 4);
    await promSeries('otelcol_exporter_sent_spans{job="otel-collector", exporter="otlp_grpc/jaeger"}');
    await promSeries('otelcol_exporter_sent_metric_points{job="otel-collector", exporter="otlp_http/prometheus"}');
    await promSeries('otelcol_exporter_queue_capacity{job="otel-collector", exporter="otlp_grpc/jaeger"}');
  });
});
