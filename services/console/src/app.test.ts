import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Readiness, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import request from 'supertest';
import { createApp } from './app';
import { configSchema } from './config';
import { expand, loadDashboards, toDashboard } from './dashboards';
import type { JaegerTrace } from './traces';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const ORDER = '5b0c2a8e-3f6d-4a41-9d8c-7c7d2d3e4f50';
/** A span of Jaeger's answer, its empty lists filled in. */
const span = (fields: Partial<JaegerTrace['spans'][number]> & Pick<JaegerTrace['spans'][number], 'spanID' | 'operationName' | 'processID' | 'startTime' | 'duration'>): JaegerTrace['spans'][number] => ({
  traceID: TRACE,
  references: [],
  tags: [],
  logs: [],
  ...fields,
});

const trace: JaegerTrace = {
  traceID: TRACE,
  processes: { p1: { serviceName: 'gateway' }, p2: { serviceName: 'orders' } },
  spans: [
    // Out of order on purpose: Jaeger does not sort them.
    span({ spanID: 'b', operationName: 'POST /orders', processID: 'p2', startTime: 1_000_200, duration: 500, references: [{ refType: 'CHILD_OF', spanID: 'a' }], tags: [{ key: 'span.kind', value: 'server' }, { key: 'shop.order.id', value: ORDER }] }),
    span({ spanID: 'a', operationName: 'POST /api/orders', processID: 'p1', startTime: 1_000_000, duration: 900, tags: [{ key: 'span.kind', value: 'server' }, { key: 'http.response.status_code', value: 201 }], logs: [{ timestamp: 1_000_100, fields: [{ key: 'event', value: 'exception' }, { key: 'exception.type', value: 'Error' }] }] }),
    span({ spanID: 'c', operationName: 'pg.query', processID: 'p2', startTime: 1_000_300, duration: 100, references: [{ refType: 'CHILD_OF', spanID: 'b' }], tags: [{ key: 'otel.status_code', value: 'ERROR' }] }),
  ],
};

const queries: string[] = [];
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === `/api/traces/${TRACE}`) return json(200, { data: [trace] });
    if (url.pathname.startsWith('/api/traces/')) return json(404, { data: null, errors: [{ code: 404, msg: 'trace not found' }] });
    if (url.pathname === '/api/traces') {
      const tags = JSON.parse(url.searchParams.get('tags') ?? '{}') as Record<string, string>;
      return json(200, { data: tags['shop.order.id'] === ORDER && url.searchParams.get('service') === 'orders' ? [trace] : [] });
    }
    if (url.pathname === '/api/v1/label/shop_qos_class/values') return json(200, { status: 'success', data: ['guaranteed', 'burstable'] });
    if (url.pathname === '/api/v1/query_range') {
      const query = url.searchParams.get('query') ?? '';
      queries.push(query);
      if (query.includes('broken')) return json(400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
      const start = Number(url.searchParams.get('start'));
      return json(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { shop_qos_class: 'guaranteed' }, values: [[start, '1.5']] }] } });
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const dashboard = toDashboard('test.json', {
  uid: 'test',
  title: 'Test',
  templating: { list: [{ name: 'qos', query: { query: 'label_values(shop_container_memory_usage_bytes, shop_qos_class)' } }] },
  panels: [
    { type: 'row', title: 'CPU' },
    { id: 7, type: 'timeseries', title: 'CPU', fieldConfig: { defaults: { unit: 'short' } }, targets: [{ expr: 'sum by (shop_qos_class) (rate(cpu{shop_qos_class=~"$qos"}[$__rate_interval]))', legendFormat: 'cpu {{shop_qos_class}}' }] },
    { id: 8, type: 'timeseries', title: 'Broken', targets: [{ expr: 'broken(' }] },
    { id: 9, type: 'table', title: 'Not drawn', targets: [{ expr: 'up' }] },
  ],
});

function app(jaegerUrl = base) {
  return createApp({
    logger: createLogger({ service: 'console', level: 'silent' }),
    readiness: new Readiness(),
    jaeger: new Upstream({ name: 'jaeger', baseUrl: jaegerUrl, timeoutMs: 2000 }),
    prometheus: new Upstream({ name: 'prometheus', baseUrl: base, timeoutMs: 2000 }),
    dashboards: [dashboard],
    scrapeIntervalS: 15,
  });
}

describe('traces', () => {
  test('a trace becomes a waterfall: parents before children, offsets from its start, status and events', async () => {
    const { body } = await request(app()).get(`/api/traces/${TRACE.toUpperCase()}`).expect(200);
    assert.deepEqual(body.spans.map((span: { spanId: string; depth: number }) => [span.spanId, span.depth]), [['a', 0], ['b', 1], ['c', 2]]);
    assert.deepEqual(body.services, ['gateway', 'orders']);
    assert.equal(body.durationUs, 900);
    assert.equal(body.spans[1].offsetUs, 200);
    assert.equal(body.spans[1].kind, 'server');
    assert.equal(body.spans[2].error, true);
    assert.deepEqual(body.spans[0].events, [{ name: 'exception', offsetUs: 100, attributes: { 'exception.type': 'Error' } }]);
    assert.equal(body.spans[0].attributes['http.response.status_code'], 201);
  });

  test('an order id finds its trace by the shop.order.id attribute', async () => {
    const { body } = await request(app()).get(`/api/orders/${ORDER}/trace`).expect(200);
    assert.equal(body.traceId, TRACE);
  });

  test('a malformed trace id or order id is a 400 problem, never a lookup', async () => {
    for (const path of ['/api/traces/not-hex', `/api/traces/${'a'.repeat(33)}`, '/api/orders/42/trace']) {
      const response = await request(app()).get(path).expect(400).expect('content-type', /application\/problem\+json/);
      assert.match(response.body.errors[0].path, /^params\./, path);
    }
  });

  test('an unknown trace or an order without a trace yet is a 404 that says so', async () => {
    const unknown = await request(app()).get('/api/traces/abc').expect(404).expect('content-type', /problem\+json/);
    assert.match(unknown.body.detail, /no trace 0{29}abc/);
    const order = await request(app()).get('/api/orders/9b0c2a8e-3f6d-4a41-9d8c-7c7d2d3e4f51/trace').expect(404);
    assert.match(order.body.detail, /no trace of order/);
  });

  test('Jaeger unreachable is a 502 problem naming it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { body } = await request(app(`http://127.0.0.1:${port}`)).get(`/api/traces/${TRACE}`).expect(502);
    assert.equal(body.upstream, 'jaeger');
    assert.match(body.detail, /jaeger is unreachable/);
  });
});

describe('dashboards', () => {
  test('lists only time-series panels, with their row and unit', async () => {
    const { body } = await request(app()).get('/api/dashboards').expect(200);
    assert.deepEqual(body.dashboards[0].panels.map((panel: { id: number }) => panel.id), [7, 8]);
    assert.equal(body.dashboards[0].panels[0].row, 'CPU');
  });

  test("a panel's queries run with $qos filled from label_values and Grafana's $__rate_interval", async () => {
    queries.length = 0;
    const { body } = await request(app()).get('/api/dashboards/test/panels/7?minutes=60').expect(200);
    assert.deepEqual(queries, ['sum by (shop_qos_class) (rate(cpu{shop_qos_class=~"(burstable|guaranteed)"}[60s]))']);
    assert.equal(body.step, 15);
    assert.deepEqual(body.series, [{ name: 'cpu guaranteed', points: [[body.start, 1.5]] }]);
  });

  test('a query Prometheus refuses is a 502 (the dashboard is at fault, not the page); bad parameters a 400', async () => {
    const refused = await request(app()).get('/api/dashboards/test/panels/8').expect(502);
    assert.equal(refused.body.upstream, 'prometheus');
    await request(app()).get('/api/dashboards/test/panels/9').expect(404);
    await request(app()).get('/api/dashboards/test/panels/7?minutes=0').expect(400);
    await request(app()).get('/api/dashboards/test/panels/x').expect(400);
  });

  test('variables values are regex-escaped inside the PromQL string', () => {
    assert.equal(expand('x{a=~"$v"}', { v: ['a.b', 'c"d'] }, 5, 15), 'x{a=~"(a\\\\.b|c\\"d)"}');
    assert.equal(expand('x{a=~"$v"}', { v: [] }, 5, 15), 'x{a=~".+"}');
    assert.equal(expand('x{a=~"$v"}', { v: '.+' }, 5, 15), 'x{a=~".+"}', "a custom all value is used as it is");
  });

  test("the shipped dashboards load, the QoS lab's first, every panel with a query", () => {
    const shipped = loadDashboards(configSchema.parse({}).DASHBOARDS_DIR);
    assert.equal(shipped[0]?.uid, 'qoslab-worker-vitals');
    assert.ok(shipped.length >= 4);
    for (const one of shipped) for (const panel of one.panels) assert.ok(panel.targets.length > 0, `${one.title} / ${panel.title}`);
  });
});

test('the page and its charting library are served by the console itself', async () => {
  await request(app()).get('/').expect(200).expect('content-type', /html/);
  await request(app()).get('/console.js').expect(200).expect('content-type', /javascript/);
  await request(app()).get('/vendor/uPlot.esm.js').expect(200).expect('content-type', /javascript/);
});
