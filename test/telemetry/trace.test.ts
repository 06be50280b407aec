import { telemetry } from './setup';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createHttpServer, Readiness, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import type { Express } from 'express';
import { createApp as gatewayApp } from '@qoslab/gateway';
import { type InProcessShop, startInProcessShop } from '../lib/in-process-shop';

const logger = createLogger({ service: 'test', level: 'silent' });
const servers: Server[] = [];
const recorded: IncomingHttpHeaders[] = [];
const ports: Record<string, number> = {};
let shop: InProcessShop;

function ready(): Readiness {
  const readiness = new Readiness();
  readiness.markReady();
  return readiness;
}

async function listen(name: string, app: Express): Promise<string> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  ports[name] = (server.address() as AddressInfo).port;
  return `http://127.0.0.1:${ports[name]}`;
}

// fetch, as the services call each other: instrumentation-undici gives the test's request a client span.
async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.text() };
}

before(async () => {
  shop = await startInProcessShop();
  Object.assign(ports, shop.ports);
  // A gateway whose catalog is a stand-in that records the headers it receives, and whose orders
  // service is unreachable.
  const recorder = createServer((req, res) => {
    recorded.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{"products":[]}');
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  servers.push(recorder);
  await listen(
    'isolatedGateway',
    gatewayApp({
      logger,
      readiness: ready(),
      catalog: new Upstream({ name: 'catalog', baseUrl: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`, timeoutMs: 2000 }),
      orders: new Upstream({ name: 'orders', baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 }),
    }),
  );
  telemetry.reset();
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await shop.close();
});

const portOf = (span: ReadableSpan) => Number(span.attributes['server.port']);
const serverSpan = (spans: ReadableSpan[], service: string) =>
  spans.find((span) => span.kind === SpanKind.SERVER && portOf(span) === ports[service]);
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

function isDescendant(spans: ReadableSpan[], child: ReadableSpan, ancestor: ReadableSpan): boolean {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  for (let current: ReadableSpan | undefined = child; current; current = byId.get(parentId(current) ?? '')) {
    if (current === ancestor) return true;
  }
  return false;
}

test('POST /api/orders is one trace through gateway, orders, catalog, payments and PostgreSQL', async () => {
  const response = await call(ports.gateway as number, 'POST', '/api/orders', {
    customer: { email: 'ada@example.com' },
    items: [{ productId: 'p-001', quantity: 2 }],
    payment: { card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } },
  });
  assert.equal(response.status, 201, response.body);
  await new Promise((resolve) => setTimeout(resolve, 50));

  const spans = telemetry.spans();
  const gateway = serverSpan(spans, 'gateway');
  assert.ok(gateway, 'gateway server span');
  const traceId = gateway.spanContext().traceId;
  const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
  const caller = inTrace.find((span) => span.spanContext().spanId === parentId(gateway));
  assert.equal(caller?.kind, SpanKind.CLIENT, "the gateway is called by the test's client span");
  assert.equal(parentId(caller as ReadableSpan), undefined, "the test's client span is the root");

  const expected = { orders: ['POST', '/orders', 201], catalog: ['POST', '/reservations', 201], payments: ['POST', '/charges', 201] } as const;
  assert.equal(gateway.attributes['http.route'], '/api/orders');
  for (const [service, [method, route, status]] of Object.entries(expected)) {
    const span = serverSpan(inTrace, service);
    assert.ok(span, `${service} server span in the same trace`);
    assert.equal(span.attributes['http.request.method'], method);
    assert.equal(span.attributes['http.route'], route);
    assert.equal(span.attributes['http.response.status_code'], status);
    assert.equal(span.attributes['url.path'], route);
    assert.equal(span.attributes['server.address'], '127.0.0.1');
    const parent = inTrace.find((candidate) => candidate.spanContext().spanId === parentId(span));
    assert.equal(parent?.kind, SpanKind.CLIENT, `${service} is called by a client span`);
  }
  const orders = serverSpan(inTrace, 'orders') as ReadableSpan;
  assert.ok(isDescendant(inTrace, orders, gateway), 'orders under gateway');
  assert.ok(isDescendant(inTrace, serverSpan(inTrace, 'catalog') as ReadableSpan, orders), 'catalog under orders');
  assert.ok(isDescendant(inTrace, serverSpan(inTrace, 'payments') as ReadableSpan, orders), 'payments under orders');

  const database = inTrace.filter((span) => span.attributes['db.system.name'] === 'postgresql' || span.attributes['db.system'] === 'postgresql');
  assert.ok(database.length > 0, 'PostgreSQL spans');
  for (const span of database) assert.ok(isDescendant(inTrace, span, orders), 'PostgreSQL spans under orders');
  assert.equal(orders.attributes['shop.order.id'], JSON.parse(response.body).id);
  assert.ok(!JSON.stringify(inTrace.map((span) => span.attributes)).includes('4242424242424242'), 'no card number in spans');
});

test('4xx answers are not span errors, 5xx are', async () => {
  telemetry.reset();
  assert.equal((await call(ports.gateway as number, 'GET', '/api/products/p-999')).status, 404);
  const notFound = serverSpan(telemetry.spans(), 'gateway');
  assert.ok(notFound);
  assert.equal(notFound.status.code, SpanStatusCode.UNSET);
  telemetry.reset();
  // This gateway's orders service is unreachable: a 502, an error on its server span with the cause.
  assert.equal((await call(ports.isolatedGateway as number, 'GET', '/api/orders')).status, 502);
  const failed = serverSpan(telemetry.spans(), 'isolatedGateway');
  assert.ok(failed);
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.ok(failed.events.some((event) => event.name === 'exception'), 'the exception is recorded on the span');
});

test('trace context and baggage reach the next service', async () => {
  recorded.length = 0;
  // The caller's context: a span of its own and baggage, sent by the instrumented client as headers.
  const baggage = propagation.createBaggage({ synthetic: { value: 'true' }, 'load.source': { value: 'test' } });
  const caller = trace.getTracer('test').startSpan('caller');
  const callerContext = propagation.setBaggage(trace.setSpan(context.active(), caller), baggage);
  const response = await context.with(callerContext, () => call(ports.isolatedGateway as number, 'GET', '/api/products'));
  caller.end();
  assert.equal(response.status, 200);
  const downstream = recorded.at(-1);
  assert.ok(downstream, 'the catalog stand-in was called');
  const traceId = caller.spanContext().traceId;
  assert.match(String(downstream.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'same trace, two hops down');
  assert.match(String(downstream.baggage), /synthetic=true/);
  assert.match(String(downstream.baggage), /load\.source=test/);
});

test('probes produce no spans', async () => {
  telemetry.reset();
  for (const service of Object.keys(ports)) {
    assert.equal((await call(ports[service] as number, 'GET', '/healthz')).status, 200);
    assert.equal((await call(ports[service] as number, 'GET', '/readyz')).status, 200);
  }
  const serverSpans = telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
  assert.deepEqual(serverSpans.map((span) => span.attributes['url.path']), []);
  assert.ok(telemetry.spans().length > 0, 'the client side of the probes was traced, so tracing is on');
});

test('custom metrics are recorded with their units', async () => {
  assert.equal((await call(ports.worker as number, 'POST', '/jobs/cpu', { units: 2 })).status, 200);
  assert.equal((await call(ports.worker as number, 'POST', '/jobs/memory', { mib: 1, holdMs: 1 })).status, 200);
  const collected = await telemetry.collectMetrics();
  // What the exported data says about each instrument: monotonic sums are counters, non-monotonic
  // sums up-down counters; synchronous and observable gauges both export gauges.
  const shapes = new Map<string, [string, string]>();
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      const kind =
        metric.dataPointType === DataPointType.SUM
          ? metric.isMonotonic
            ? 'counter'
            : 'up-down counter'
          : metric.dataPointType === DataPointType.HISTOGRAM
            ? 'histogram'
            : metric.dataPointType === DataPointType.GAUGE
              ? 'gauge'
              : 'other';
      shapes.set(metric.descriptor.name, [metric.descriptor.unit, kind]);
    }
  }
  const expected: Record<string, [string, string]> = {
    'shop.orders': ['{order}', 'counter'],
    'shop.catalog.cache.lookups': ['{lookup}', 'counter'],
    'shop.catalog.stock.available': ['{item}', 'gauge'],
    'shop.payment.duration': ['s', 'histogram'],
    'shop.worker.jobs': ['{job}', 'counter'],
    'shop.worker.jobs.active': ['{job}', 'up-down counter'],
    'shop.worker.job.duration': ['s', 'histogram'],
    'shop.worker.memory.held': ['By', 'gauge'],
    'http.server.request.duration': ['s', 'histogram'],
  };
  for (const [name, shape] of Object.entries(expected)) assert.deepEqual(shapes.get(name), shape, name);
});

test('log lines written inside a span carry its trace_id and span_id', () => {
  const lines: Record<string, string>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const log = createLogger({ service: 'test', destination });
  trace.getTracer('test').startActiveSpan('work', (span) => {
    log.info('inside');
    assert.equal(lines[0]?.trace_id, span.spanContext().traceId);
    assert.equal(lines[0]?.span_id, span.spanContext().spanId);
    span.end();
  });
});
