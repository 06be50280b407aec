import { telemetry } from './setup';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

// The kit's fetch instrumentation (packages/telemetry/src/http-client.ts) against a plain node:http server.
let server: Server;
let origin: string;
let port: number;
const received: IncomingHttpHeaders[] = [];

before(async () => {
  server = createServer((req, res) => {
    received.push(req.headers);
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
    if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.end('late'), 2000).unref();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  telemetry.reset();
  received.length = 0;
});

async function clientSpans(): Promise<ReadableSpan[]> {
  await sleep(10);
  return telemetry.spans().filter((span) => span.kind === SpanKind.CLIENT);
}

async function durationPoints() {
  const collected = await telemetry.collectMetrics();
  const metric = collected.scopeMetrics.flatMap((scope) => scope.metrics).find((one) => one.descriptor.name === 'http.client.request.duration');
  assert.ok(metric, 'http.client.request.duration is recorded');
  assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(metric.descriptor.unit, 's');
  return (metric as HistogramMetricData).dataPoints;
}

test('a call: the stable HTTP client attributes, the span as the parent the next hop sees, the duration histogram', async () => {
  const parent = trace.getTracer('test').startSpan('caller');
  const response = await context.with(trace.setSpan(context.active(), parent), () => fetch(`${origin}/items/7?colour=red`));
  assert.equal(response.status, 200);
  await response.text();
  parent.end();
  const [span, ...others] = await clientSpans();
  assert.ok(span, 'a client span');
  assert.deepEqual(others, []);
  assert.equal(span.name, 'GET');
  assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId, 'a child of the active span');
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.deepEqual(span.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': port,
    'url.full': `${origin}/items/7?colour=red`,
    'url.scheme': 'http',
    'url.path': '/items/7',
    'url.query': 'colour=red',
    'http.response.status_code': 200,
  });
  const { traceId, spanId } = span.spanContext();
  assert.equal(received[0]?.traceparent, `00-${traceId}-${spanId}-01`, 'the server is called with the client span as parent');

  const point = (await durationPoints()).find((one) => one.attributes['server.port'] === port && one.attributes['http.response.status_code'] === 200);
  assert.ok(point, 'a data point for the call');
  assert.deepEqual(point.attributes, { 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'server.port': port, 'http.response.status_code': 200 });
  assert.ok(point.value.count >= 1);
});

test('an answer of 400 or more is an error of the client span, with error.type the status', async () => {
  const response = await fetch(`${origin}/missing?status=404`);
  await response.text();
  const [span] = await clientSpans();
  assert.equal(span?.attributes['http.response.status_code'], 404);
  assert.equal(span?.attributes['error.type'], '404');
  assert.equal(span?.status.code, SpanStatusCode.ERROR);
  assert.ok((await durationPoints()).some((one) => one.attributes['server.port'] === port && one.attributes['error.type'] === '404'));
});

test('nobody listening: the error is recorded on the span, with its code as error.type', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(fetch(`http://127.0.0.1:${closedPort}/`));
  const [span] = await clientSpans();
  assert.ok(span);
  assert.equal(span.attributes['server.port'], closedPort);
  assert.equal(span.attributes['error.type'], 'ECONNREFUSED');
  assert.equal(span.attributes['http.response.status_code'], undefined);
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.ok(span.events.some((event) => event.name === 'exception'));
});

test('a call cut off by its deadline is an error, with TimeoutError as error.type', async () => {
  const controller = new AbortController();
  const call = fetch(`${origin}/slow`, { signal: controller.signal });
  await sleep(100);
  controller.abort(new DOMException('no answer in time', 'TimeoutError'));
  await assert.rejects(call);
  const [span] = await clientSpans();
  assert.ok(span, 'the span ended');
  assert.equal(span.attributes['url.path'], '/slow');
  assert.equal(span.attributes['url.query'], undefined);
  assert.equal(span.attributes['error.type'], 'TimeoutError');
  assert.equal(span.status.code, SpanStatusCode.ERROR);
});

test('a call the caller aborts ends its span without an error', async () => {
  const controller = new AbortController();
  const call = fetch(`${origin}/slow`, { signal: controller.signal });
  await sleep(100);
  controller.abort();
  await assert.rejects(call);
  const [span] = await clientSpans();
  assert.ok(span, 'the span ended');
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.equal(span.attributes['error.type'], undefined);
});

test('an unknown method is _OTHER, with the original beside it, and the span is named HTTP', async () => {
  const response = await fetch(`${origin}/`, { method: 'PURGE' });
  await response.text();
  const [span] = await clientSpans();
  assert.equal(span?.name, 'HTTP');
  assert.equal(span?.attributes['http.request.method'], '_OTHER');
  assert.equal(span?.attributes['http.request.method_original'], 'PURGE');
});
