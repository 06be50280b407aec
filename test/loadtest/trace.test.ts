import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { toolPath } from '../lib/tools';
import { getOk, start, waitFor, type Started } from '../pipeline/support';
import { freePort } from '../../tools/stack/process';
import { describeRun, ROOT, readPoints, runLoadtest, startShop, type Stack } from './support';

// The real pipeline on loopback: services → Collector (OTLP/HTTP) → Jaeger (OTLP/gRPC) → query API.
// Builds the Collector and Jaeger into the tool cache on first use (minutes, once).

interface JaegerTrace {
  traceID: string;
  spans: Array<{ spanID: string; processID: string; references: Array<{ refType: string; spanID: string }> }>;
  processes: Record<string, { serviceName: string }>;
}

const processes: Started[] = [];
let shop: Stack | undefined;
let queryUrl: string;

before(async () => {
  const [jaeger, otelcol] = [toolPath('jaeger'), toolPath('otelcol')];
  const ports = Object.fromEntries(
    await Promise.all(
      ['jaegerGrpc', 'jaegerHttp', 'jaegerQuery', 'jaegerQueryGrpc', 'jaegerHealth', 'otlpGrpc', 'otlpHttp', 'collectorHealth', 'collectorMetrics', 'nowhere'].map(
        async (name) => [name, await freePort()] as const,
      ),
    ),
  ) as Record<string, number>;

  const jaegerProcess = start(jaeger, ['--config', path.join(ROOT, 'observability', 'jaeger', 'config.yaml')], {
    ...process.env,
    JAEGER_LISTEN_HOST: '127.0.0.1',
    JAEGER_OTLP_GRPC_PORT: String(ports.jaegerGrpc),
    JAEGER_OTLP_HTTP_PORT: String(ports.jaegerHttp),
    JAEGER_QUERY_PORT: String(ports.jaegerQuery),
    JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
    JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
    JAEGER_LOG_LEVEL: 'warn',
  });
  processes.push(jaegerProcess);
  queryUrl = `http://127.0.0.1:${ports.jaegerQuery}`;
  await waitFor('Jaeger query API', () => getOk(`${queryUrl}/api/services`), { timeoutMs: 60_000, process: jaegerProcess });

  const collector = start(otelcol, ['--config', path.join(ROOT, 'otel-collector', 'config.yaml')], {
    ...process.env,
    OTELCOL_BIND_HOST: '127.0.0.1',
    OTELCOL_OTLP_GRPC_PORT: String(ports.otlpGrpc),
    OTELCOL_OTLP_HTTP_PORT: String(ports.otlpHttp),
    OTELCOL_HEALTH_PORT: String(ports.collectorHealth),
    OTELCOL_METRICS_PORT: String(ports.collectorMetrics),
    OTELCOL_LOG_LEVEL: 'warn',
    JAEGER_OTLP_ENDPOINT: `127.0.0.1:${ports.jaegerGrpc}`,
    // No Prometheus here: the metrics pipeline's exports fail (bounded retries); traces are unaffected.
    PROMETHEUS_REMOTE_WRITE_URL: `http://127.0.0.1:${ports.nowhere}/api/v1/write`,
  });
  processes.push(collector);
  await waitFor('Collector health', () => getOk(`http://127.0.0.1:${ports.collectorHealth}/`), { timeoutMs: 60_000, process: collector });

  shop = await startShop({}, {}, { otlpEndpoint: `http://127.0.0.1:${ports.otlpHttp}` });
});

after(async () => {
  await shop?.stop();
  for (const started of processes.reverse()) await started.stop();
});

async function jaegerTrace(traceId: string): Promise<{ status: number; trace?: JaegerTrace }> {
  const response = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) return { status: response.status };
  const body = (await response.json()) as { data: JaegerTrace[] };
  return { status: 200, trace: body.data[0] };
}

function servicesOf(trace: JaegerTrace): string[] {
  return [...new Set(trace.spans.map((span) => trace.processes[span.processID]?.serviceName ?? '?'))].sort();
}

test('the trace id k6 sent for a request is the trace Jaeger holds for it', { timeout: 600_000 }, async () => {
  const points = path.join(mkdtempSync(path.join(tmpdir(), 'qoslab-points-')), 'points.jsonl');
  const result = await runLoadtest(['shop-journey', '--base-url', shop!.urls.gateway as string, '--points', points], {
    LOAD_VUS: '1',
    LOAD_DURATION: '3s',
    THINK_TIME: '0.2',
  });
  assert.equal(result.code, 0, describeRun(result));
  const requests = readPoints(points)
    .filter((point) => point.type === 'Point' && point.metric === 'http_reqs')
    .map((point) => ({ step: point.data.tags?.step, traceId: point.data.metadata?.trace_id, spanId: point.data.metadata?.span_id }));
  const order = requests.find((request) => request.step === 'place-order');
  assert.ok(order?.traceId && order.spanId, 'no order was placed');

  // An order touches every service; the spans arrive in batches, so wait until all four are in.
  const trace = await waitFor(
    `trace ${order.traceId} in Jaeger with every service`,
    async () => {
      const found = await jaegerTrace(order.traceId as string);
      return found.trace && servicesOf(found.trace).length >= 4 ? found.trace : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal(trace.traceID, order.traceId);
  assert.deepEqual(servicesOf(trace), ['catalog', 'gateway', 'orders', 'payments']);
  // The gateway's server span is the child of the span k6 put in traceparent.
  const gatewayRoots = trace.spans.filter(
    (span) =>
      trace.processes[span.processID]?.serviceName === 'gateway' &&
      span.references.some((reference) => reference.refType === 'CHILD_OF' && reference.spanID === order.spanId),
  );
  assert.equal(gatewayRoots.length, 1);

  // Every request k6 made is a trace of its own in Jaeger, under the id k6 recorded.
  for (const request of requests) {
    const found = await waitFor(`trace ${request.traceId} (${request.step})`, async () => {
      const lookup = await jaegerTrace(request.traceId as string);
      return lookup.trace;
    });
    assert.equal(found.traceID, request.traceId);
  }
  // And the lookup is not vacuous: an id k6 never sent is not there.
  assert.equal((await jaegerTrace('0af7651916cd43dd8448eb211c80319c')).status, 404);
});
