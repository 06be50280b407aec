import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { waitFor } from '@qoslab/http-kit/testing';
import { describeRun, readPoints, runLoadtest, startShop, type Stack } from './support';
import { getTrace, type JaegerTrace } from '@qoslab/observability-client';

// The real pipeline on loopback: services → Collector (OTLP/HTTP) → Jaeger (OTLP/gRPC) → query API.
// Builds the Collector and Jaeger into the tool cache on first use (minutes, once).

let shop: Stack | undefined;
let queryUrl: string;

before(async () => {
  // The native stack's shop and its pipeline (Collector, Jaeger) on free ports.
  shop = await startShop({ telemetry: true });
  queryUrl = shop.urls.jaeger as string;
});

after(async () => {
  await shop?.stop();
});

async function jaegerTrace(traceId: string): Promise<{ status: number; trace?: JaegerTrace }> {
  const trace = await getTrace(queryUrl, traceId);
  return trace ? { status: 200, trace } : { status: 404 };
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
