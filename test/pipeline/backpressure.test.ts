// With Jaeger and Prometheus unreachable, the Collector keeps its sending queue within its capacity
// and its memory_limiter refuses data (a retryable error for the SDKs) instead of growing without
// bound. The memory limit is lowered through OTELCOL_MEMORY_LIMIT_MIB so a bounded burst reaches it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { CollectorMetrics, freePorts, ManagedProcess, type Ports, stackSpecs } from '@qoslab/native-stack';
import { getOk } from './support';

const MAX_BATCHES = 120;
const SPANS_PER_BATCH = 500;

let collector: ManagedProcess;
let port: Ports;

function batch(): unknown {
  const traceId = randomBytes(16).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const filler = randomBytes(768).toString('base64');
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'burst' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
              traceId,
              spanId: randomBytes(8).toString('hex'),
              name: `span-${i % 10}`,
              kind: 1,
              startTimeUnixNano: String(now),
              endTimeUnixNano: String(now + 1_000_000n),
              attributes: [{ key: 'filler', value: { stringValue: filler } }],
            })),
          },
        ],
      },
    ],
  };
}

before(async () => {
  port = await freePorts();
  // The native stack's Collector alone: nothing listens on the Jaeger and Prometheus ports it exports to.
  const [spec] = stackSpecs({ ports: port, traffic: false, only: ['otel-collector'] });
  assert.ok(spec, 'the native stack has no Collector');
  collector = new ManagedProcess({ ...spec, env: { ...spec.env, OTELCOL_MEMORY_LIMIT_MIB: '48', OTELCOL_MEMORY_SPIKE_LIMIT_MIB: '16', OTELCOL_LOG_LEVEL: 'error' } });
  collector.start();
  await collector.waitReady(30_000);
});

after(async () => {
  const code = await collector.stop();
  assert.equal(code, 0, `the Collector did not stop cleanly:\n${collector.tail()}`);
});

test('a burst against dead backends is refused and queued within bounds, not buffered without limit', async () => {
  let refusedResponses = 0;
  let sent = 0;
  for (; sent < MAX_BATCHES && refusedResponses === 0; sent++) {
    const response = await fetch(`http://127.0.0.1:${port.otlpHttp}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch()),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    if (!response.ok) {
      // The OTLP/HTTP receiver maps the memory limiter's refusal to a retryable status.
      assert.ok([429, 503].includes(response.status), `unexpected status ${response.status}`);
      refusedResponses++;
    }
  }
  assert.ok(refusedResponses > 0, `no request was refused after ${sent} batches of ${SPANS_PER_BATCH} spans`);

  const metrics = await CollectorMetrics.scrape(`http://127.0.0.1:${port.collectorMetrics}/metrics`);
  const refused = metrics.sum('otelcol_receiver_refused_spans', { receiver: 'otlp' });
  assert.ok(refused >= SPANS_PER_BATCH, `otelcol_receiver_refused_spans is ${refused}`);
  const queue = metrics.sum('otelcol_exporter_queue_size', { exporter: 'otlp_grpc/jaeger' });
  const capacity = metrics.sum('otelcol_exporter_queue_capacity', { exporter: 'otlp_grpc/jaeger' });
  assert.equal(capacity, 20_000);
  assert.ok(queue <= capacity, `queue ${queue} exceeds capacity ${capacity}`);
  // Still alive and answering.
  assert.ok(await getOk(`http://127.0.0.1:${port.collectorHealth}/`));
});
