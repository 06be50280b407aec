/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The native stack end to end: `startStack` is what `npm run stack` runs. Real Collector, Jaeger and
// Prometheus; the services built from this checkout; assertions through the programs' own HTTP APIs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, freePorts, ManagedProcess, repoRoot, type Stack, startStack } from '@qoslab/native-stack';
import { findTraces, getTrace, promQuery } from '@qoslab/observability-client';
import { launchChromium, screenshotPath } from '../lib/browser';
import { newTraceparent, orderTraceProblems } from '../lib/jaeger';
import { dashboardFiles, evaluable, metricNames, shippedExpressions } from '../lib/promql';

let stack: Stack;
let runDir: string;
let jaeger: string;
let prometheus: string;
let gateway: string;
let worker: string;
let consoleUrl: string;

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

const READY_BOUND_MS = 30_000;
const FIRST_TRACE_BOUND_MS = 45_000;

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
  consoleUrl = `http://127.0.0.1:${ports.console}`;
  const ready = Date.now() - started;
  const problems = await eventually(async () => {
    return (await findTraces(jaeger, { service: 'gateway', limit: 1 })).length > 0 ? [] : ['no gateway trace yet'];
  }, 60_000);
  assert.deepEqual(problems, [], 'a first trace reaches Jaeger');
  const firstTrace = Date.now() - started;
  console.log(`native stack: every program ready after ${(ready / 1000).toFixed(1)} s, first trace in Jaeger after ${(firstTrace / 1000).toFixed(1)} s`);
  // The README's figures: measured above, and these bounds asserted (the tools are built by then).
  assert.ok(ready < READY_BOUND_MS, `the stack took ${ready} ms to be ready, not under ${READY_BOUND_MS} ms`);
  assert.ok(firstTrace < FIRST_TRACE_BOUND_MS, `the first trace took ${firstTrace} ms, not under ${FIRST_TRACE_BOUND_MS} ms`);
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

// Expressions over container vital signs need containers: the compose and cluster tests check those.
const needsContainers = (names: string[]) => names.some((name) => /^shop_container_|^shop_qos_class:|^k8s_/.test(name));

test('every PromQL expression of the shipped dashboards and rules returns data', async () => {
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

test("the lab console: the shop's order drawn as a waterfall from Jaeger, and every dashboard panel with data drawn", async () => {
  type Panel = { id?: number; type: string; title: string; targets?: { expr?: string }[] };
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));

    await page.goto(`${gateway}/`);
    await page.waitForSelector('#products button:not([disabled])');
    await page.click('#products button:not([disabled])');
    await page.click('#checkout button[type=submit]');
    await page.waitForSelector('#order-trace', { timeout: 15_000 });
    const href = await page.$eval('#order-trace', (a) => (a as HTMLAnchorElement).href);
    const orderId = /#order=([0-9a-f-]{36})$/.exec(href)?.[1];
    assert.ok(orderId, href);
    assert.ok(href.startsWith(`${consoleUrl}/`), href);
    await page.screenshot({ path: screenshotPath('shop-order') });

    await page.click('#order-trace');
    await page.waitForFunction(
      () => ['gateway', 'orders', 'catalog', 'payments'].every((service) => (document.getElementById('waterfall')?.dataset.services ?? '').split(',').includes(service)),
      { timeout: 30_000 },
    );
    const rows = await page.$$eval('.span-row', (all) => all.map((row) => (row as HTMLElement).dataset.service));
    assert.ok(rows.length >= 8, `${rows.length} spans`);
    await page.click('.span-row[data-service="orders"]');
    const detail = await page.$eval('#span-detail', (node) => node.textContent ?? '');
    assert.ok(rows.filter((service) => service === 'orders').length > 0 && detail.length > 0);
    const orderSpan = await page.$$eval('.span-row[data-service="orders"]', (all) => {
      for (const row of all) {
        (row as HTMLElement).click();
        const text = document.getElementById('span-detail')?.textContent ?? '';
        if (text.includes('shop.order.id')) return text;
      }
      return '';
    });
    assert.ok(orderSpan.includes(orderId), "an orders span shows the order's id among its attributes");
    await page.screenshot({ path: screenshotPath('console-trace'), fullPage: false });

    // Every panel the console draws: data where the stack has it; natively no container vital signs.
    const api = (await (await fetch(`${consoleUrl}/api/dashboards`)).json()) as { dashboards: { uid: string; title: string; panels: { id: number; title: string }[] }[] };
    const files = dashboardFiles<{ uid: string; panels: Panel[] }>();
    let drawn = 0;
    for (const dashboard of api.dashboards) {
      const json = files.find((file) => file.dashboard.uid === dashboard.uid)!.dashboard;
      await page.click(`#dashboard-tabs button[data-uid="${dashboard.uid}"]`);
      await page.waitForFunction(
        (uid) => document.getElementById('panels')?.dataset.dashboard === uid && ![...document.querySelectorAll<HTMLElement>('.panel')].some((panel) => panel.dataset.state === 'loading'),
        { timeout: 30_000 },
        dashboard.uid,
      );
      const states = new Map(await page.$$eval('.panel', (all) => all.map((panel) => [Number((panel as HTMLElement).dataset.panel), (panel as HTMLElement).dataset.state ?? ''] as const)));
      for (const panel of dashboard.panels) {
        const source = json.panels.find((one) => one.id === panel.id)!;
        // Natively no worker runs as a QoS class, so the per-class panels ($qos: ".+") are empty too.
        const exprs = (source.targets ?? []).map((target) => target.expr ?? '');
        const native = !needsContainers(exprs.flatMap(metricNames)) && !exprs.some((expr) => expr.includes('$qos'));
        assert.equal(states.get(panel.id), native ? 'data' : 'empty', `${dashboard.title} / ${panel.title}`);
        if (native) drawn++;
      }
      if (dashboard.uid === 'qoslab-red') await page.screenshot({ path: screenshotPath('console-red'), fullPage: true });
    }
    assert.ok(drawn >= 20, `${drawn} panels drawn with data`);
    console.log(`the console drew ${drawn} panels with data natively`);

    // Bad input is said on the page.
    await page.evaluate(() => { location.hash = 'trace=not-a-trace'; });
    await page.waitForFunction(() => document.getElementById('trace-status')?.className === 'error', { timeout: 10_000 });
    assert.match(await page.$eval('#trace-status', (node) => node.textContent ?? ''), /Not a trace id: must be 1 to 32 hexadecimal digits/);
    await page.evaluate(() => { location.hash = 'trace=0123456789abcdef0123456789abcdef'; });
    await page.waitForFunction(() => /Jaeger has no trace/.test(document.getElementById('trace-status')?.textContent ?? ''), { timeout: 15_000 });

    // Jaeger and Prometheus unreachable: a console pointed at closed ports says so on the page.
    const port = await freePort();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const lonely = new ManagedProcess(
      {
        name: 'console-alone',
        command: process.execPath,
        args: ['dist/main.js'],
        cwd: join(repoRoot, 'services', 'console'),
        env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), JAEGER_URL: closed, PROMETHEUS_URL: closed },
        ready: { http: `http://127.0.0.1:${port}/readyz` },
      },
      join(runDir, 'logs'),
    );
    lonely.start();
    try {
      await lonely.waitReady(30_000);
      await page.goto(`http://127.0.0.1:${port}/#trace=0123456789abcdef0123456789abcdef`);
      await page.waitForFunction(() => /jaeger is unreachable/.test(document.getElementById('trace-status')?.textContent ?? ''), { timeout: 15_000 });
      await page.waitForFunction(() => document.querySelector('.panel[data-state="error"]')?.textContent?.includes('prometheus is unreachable'), { timeout: 15_000 });
    } finally {
      await lonely.stop();
    }
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
  }
});
