import { telemetry } from './setup';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import express from 'express';

// The kit's HTTP server instrumentation (packages/telemetry/src/http-server.ts) on a plain Express app.
let server: Server;
let port: number;

before(async () => {
  const app = express();
  const items = express.Router();
  items.get('/items/:id', (_req, res) => {
    res.json({ spanId: trace.getActiveSpan()?.spanContext().spanId });
  });
  items.get('/broken', () => {
    throw new Error('broken on purpose');
  });
  items.post('/items', express.json(), (req, res) => {
    res.status(201).json({ spanId: trace.getActiveSpan()?.spanContext().spanId, received: req.body });
  });
  app.use('/api', items);
  app.get('/readyz', (_req, res) => {
    res.json({ recording: trace.getTracer('test').startSpan('inside the probe').isRecording() });
  });
  app.all('/any', (_req, res) => {
    res.end();
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => telemetry.reset());

/** A request whose body is written in parts, with a pause between them, so it reaches the server in several reads. */
function send(method: string, path: string, parts: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: parts.length > 0 ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    void (async () => {
      for (const part of parts) {
        req.write(part);
        await sleep(30);
      }
      req.end();
    })();
  });
}

async function serverSpans(): Promise<ReadableSpan[]> {
  // A span ends when the response closes, just after the client has read it.
  await sleep(20);
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

test('a routed request: the stable HTTP attributes, http.route from Express and the span active in the handler', async () => {
  const response = await send('GET', '/api/items/7?colour=red');
  assert.equal(response.status, 200);
  const [span, ...others] = await serverSpans();
  assert.ok(span, 'a server span');
  assert.deepEqual(others, []);
  assert.equal(span.name, 'GET /api/items/:id');
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.deepEqual(
    { ...span.attributes, 'network.peer.port': typeof span.attributes['network.peer.port'] },
    {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/api/items/7',
      'url.query': 'colour=red',
      'server.address': '127.0.0.1',
      'server.port': port,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 'number',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
      'http.route': '/api/items/:id',
    },
  );
  assert.equal(JSON.parse(response.body).spanId, span.spanContext().spanId, 'the handler sees the server span as active');
});

test('a body that arrives in several reads: the handler after the body parser still runs in the server span', async () => {
  const response = await send('POST', '/api/items', ['{"name":', '"kettle"}']);
  assert.equal(response.status, 201, response.body);
  const [span] = await serverSpans();
  assert.ok(span);
  assert.deepEqual(JSON.parse(response.body), { spanId: span.spanContext().spanId, received: { name: 'kettle' } });
  assert.equal(span.attributes['http.route'], '/api/items');
});

test('no route: no http.route and the bare method as name; 4xx is not an error, 5xx is', async () => {
  assert.equal((await send('GET', '/nowhere')).status, 404);
  assert.equal((await send('GET', '/api/broken')).status, 500);
  const [missing, broken] = await serverSpans();
  assert.equal(missing?.name, 'GET');
  assert.equal(missing?.attributes['http.route'], undefined);
  assert.equal(missing?.status.code, SpanStatusCode.UNSET);
  assert.equal(broken?.name, 'GET /api/broken');
  assert.equal(broken?.status.code, SpanStatusCode.ERROR);
  assert.equal(broken?.attributes['error.type'], '500');
});

test('a method outside the HTTP specification is _OTHER, with the original kept', async () => {
  assert.equal((await send('PROPFIND', '/any')).status, 200);
  const [span] = await serverSpans();
  assert.equal(span?.attributes['http.request.method'], '_OTHER');
  assert.equal(span?.attributes['http.request.method_original'], 'PROPFIND');
});

test('probes have no span, and nothing below them is traced', async () => {
  const response = await send('GET', '/readyz');
  assert.deepEqual(JSON.parse(response.body), { recording: false });
  assert.deepEqual(await serverSpans(), []);
});

test('http.server.request.duration: one point per request, by method, route, status and error type', async () => {
  await send('GET', '/api/items/1');
  await send('GET', '/api/items/2');
  await send('GET', '/api/broken');
  const metric = (await telemetry.collectMetrics()).scopeMetrics
    .filter((scope) => scope.scope.name === '@qoslab/instrumentation-http-server')
    .flatMap((scope) => scope.metrics)
    .find((candidate) => candidate.descriptor.name === 'http.server.request.duration') as HistogramMetricData | undefined;
  assert.ok(metric, 'the histogram is exported');
  assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(metric.descriptor.unit, 's');
  const count = (route: string, status: number) =>
    metric.dataPoints.find((point) => point.attributes['http.route'] === route && point.attributes['http.response.status_code'] === status)?.value.count;
  assert.ok((count('/api/items/:id', 200) ?? 0) >= 2);
  const broken = metric.dataPoints.find((point) => point.attributes['http.route'] === '/api/broken');
  assert.equal(broken?.attributes['error.type'], '500');
  assert.deepEqual(broken?.value.buckets.boundaries.slice(0, 3), [0.005, 0.01, 0.025]);
});
