// The native stack end to end: `startStack` is what `npm run stack` runs. Real Collector, Jaeger and
// Prometheus; the services built from this checkout; assertions through the programs' own HTTP APIs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, type Stack, startStack } from '../../tools/stack/stack';
import { getTrace, newTraceparent, orderTraceProblems } from '../lib/jaeger';
import { evaluable, metricNames, promQuery, shippedExpressions } from '../lib/promql';

let stack: Stack;
let runDir: string;
let jaeger: string;
let prometheus: string;
let gateway: string;
let worker: string;

/** Polls until check() returns no problems or the time is up; returns the last problems. */
async function eventually(check: () => Promise<string[]>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let problems: string[] = [];
  while (Date.now() < deadline) {
    try {
      problems = await check();
    } catch (error) {
      problems = [String(error)];
    }
    if (problems.length === 0) return problems;
    await sleep(1000);
  }
  return problems;
}

const order = {
  customer: { email: 'e2e@example.com' },
  items: [{ productId: 'p-003', quantity: 1 }],
  payment: { card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } },
};

before(async () => {
  runDir = mkdtempSync(join(tmpdir(), 'qoslab-e2e-'));
  const started = Date.now();
  // Free ports, so the test runs beside a developer's `npm run stack`.
  stack = await startStack({ runDir, traffic: true, metricExportIntervalMs: 2000, ports: await freePorts() });
  const ports = stack.ports;
  jaeger = `http://127.0.0.1:${ports.jaegerQuery}`;
  prometheus = `http://127.0.0.1:${ports.prometheus}`;
  gateway = `http://127.0.0.1:${ports.gateway}`;
  worker = `http://127.0.0.1:${ports.worker}`;
  const ready = Date.now() - started;
  const problems = await eventually(async () => {
    const response = await fetch(`${jaeger}/api/traces?service=gateway&limit=1&lookback=1h`);
    const body = (await response.json()) as { data?: unknown[] };
    return body.data && body.data.length > 0 ? [] : ['no gateway trace yet'];
  }, 60_000);
  assert.deepEqual(problems, [], 'a first trace reaches Jaeger');
  console.log(`native stack: every program ready after ${(ready / 1000).toFixed(1)} s, first trace in Jaeger after ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

after(async () => {
  await stack?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

test('POST /api/orders is one trace across gateway, orders, catalog, payments and PostgreSQL in Jaeger', async () => {
  const { traceId, traceparent } = newTraceparent();
  const response = await fetch(`${gateway}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent, 'idempotency-key': traceId },
    body: JSON.stringify(order),
  });
  assert.equal(response.status, 201, await response.text());
  const problems = await eventually(async () => {
    const trace = await getTrace(jaeger, traceId);
    return trace ? orderTraceProblems(trace) : ['not in Jaeger yet'];
  }, 30_000);
  assert.deepEqual(problems, []);
});

test('Prometheus has request durations, span metrics, service-graph edges and the custom metrics', async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal((await fetch(`${worker}/jobs/cpu`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"units":5}' })).status, 200);
    assert.equal((await fetch(`${worker}/jobs/memory`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mib":2,"holdMs":10}' })).status, 200);
  }
  const services = ['catalog', 'gateway', 'orders', 'payments', 'worker'];
  const labels = async (query: string, label: string) => new Set((await promQuery(prometheus, query)).map((s) => s.metric[label] ?? ''));
  const problems = await eventually(async () => {
    const missing: string[] = [];
    const durations = await labels('sum by (job) (rate(http_server_request_duration_seconds_bucket[1m]))', 'job');
    for (const service of services) if (!durations.has(service)) missing.push(`http_server_request_duration_seconds for ${service}`);
    const calls = await labels('sum by (service_name) (rate(traces_span_metrics_calls_total[1m]))', 'service_name');
    for (const service of services) if (!calls.has(service)) missing.push(`traces_span_metrics_calls_total for ${service}`);
    const latency = await labels('histogram_quantile(0.95, sum by (service_name, le) (rate(traces_span_metrics_duration_seconds_bucket[1m])))', 'service_name');
    for (const service of services) if (!latency.has(service)) missing.push(`span-metrics latency for ${service}`);
    const edges = new Set(
      (await promQuery(prometheus, 'sum by (client, server) (traces_service_graph_request_total)')).map((s) => `${s.metric.client}->${s.metric.server}`),
    );
    for (const edge of ['gateway->orders', 'gateway->catalog', 'orders->catalog', 'orders->payments']) if (!edges.has(edge)) missing.push(`edge ${edge}`);
    for (const metric of [
      'shop_orders_total',
      'shop_catalog_cache_lookups_total',
      'shop_catalog_stock_available',
      'shop_payment_duration_seconds_bucket',
      'shop_worker_jobs_total',
      'shop_worker_jobs_active',
      'shop_worker_job_duration_seconds_bucket',
      'shop_worker_memory_held_bytes',
      'k6_http_reqs_total',
    ]) {
      if ((await promQuery(prometheus, `count(${metric})`)).length === 0) missing.push(metric);
    }
    return missing;
  }, 120_000);
  assert.deepEqual(problems, []);
  // Outside a container there is no cgroup of the service's own: the vital signs are absent, not zero.
  assert.deepEqual(await promQuery(prometheus, 'count({__name__=~"shop_container_.+"})'), []);
});

test('every PromQL expression of the shipped dashboards and rules returns data', async () => {
  // Expressions over container vital signs need containers: the compose test checks those.
  const needsContainers = (names: string[]) => names.some((name) => /^shop_container_|^shop_qos_class:|^k8s_/.test(name));
  const expressions = shippedExpressions().filter((expression) => !needsContainers(metricNames(expression.expr)));
  const skipped = shippedExpressions().length - expressions.length;
  assert.ok(expressions.length >= 30, `only ${expressions.length} expressions`);
  const problems = await eventually(async () => {
    // Error panels and rules need errors: an injected catalog failure is a 500 there and a 502 at the
    // gateway, an error span, and a failed edge in the service graph.
    const faulted = await fetch(`${gateway}/api/products`, { headers: { 'x-fault-inject': 'catalog:status=500' } });
    assert.equal(faulted.status, 502);
    const empty: string[] = [];
    for (const expression of expressions) {
      if ((await promQuery(prometheus, evaluable(expression))).length === 0) empty.push(`${expression.where}: ${expression.expr}`);
    }
    return empty;
  }, 120_000);
  assert.deepEqual(problems, []);
  console.log(`${expressions.length} expressions return data natively; ${skipped} over container vital signs are left to the compose test`);
});
