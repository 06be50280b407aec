// The telemetry pipeline failing under the shop. Collector absent from the start, frozen (SIGSTOP: the
// kernel still accepts connections, nothing answers), stopped, and replaced by a TCP black hole on its
// OTLP port: the services keep answering without errors and no request waits for an export, their
// memory stays bounded, and telemetry resumes when the Collector returns. What each fault costs the
// latency is a benchmark figure (bench/phases/outage.ts), not asserted here. Jaeger or Prometheus stopped:
// the Collector stays up within its memory limit, sheds load through its bounded queue, and delivers
// again when they return.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { newTraceparent, serviceOf } from '../lib/jaeger';
import { LOOPBACK, liveHeapMiB, runConcurrently, timedFetch, waitForTrace } from './support';
import { type WaitOptions, waitFor } from '@qoslab/http-kit/testing';
import { startTestStack, type TestStack } from '../lib/stack';
import { CollectorMetrics, collectorFault, type CollectorFault, freePort, readRss } from '@qoslab/native-stack';
import { getTrace, promQuery } from '@qoslab/observability-client';

/** Sequential requests through the shop while a fault is on. */
const BLOCK = 300;
/**
 * The slowest of them may take at most this long. The exporters' timeout is 10 s (the SDK's default): a
 * request that waited for an export to a frozen Collector or a black hole would take that long; one that
 * does not wait takes a few milliseconds.
 */
const MAX_REQUEST_MS = 2000;
/** Requests of a memory flood, after 1,000 to warm up. */
const FLOOD = 10_000;
/**
 * With the Collector unavailable the SDK keeps at most 2,048 spans in its queue (OTEL_BSP_MAX_QUEUE_SIZE)
 * plus one batch of 512 in export, a few KiB each, and metrics exports are cumulative (fixed size);
 * exports that hang end at the exporter's timeout. So after a flood the live heap (after a full garbage
 * collection) may be at most this much above the live heap after the same flood with a working Collector.
 * Keeping the flood's 30,000 spans would need several times more.
 */
const HEAP_OVER_BASELINE_MIB = 16;
/** RSS, measured right after that collection, also holds buffers outside the heap (sockets, exports). */
const RSS_OVER_BASELINE_MIB = 32;
/** memory_limiter.limit_mib of otel-collector/config.yaml (OTELCOL_MEMORY_LIMIT_MIB default). */
const COLLECTOR_LIMIT_MIB = 400;

const SERVED = ['gateway', 'catalog'] as const;

let stack: TestStack;
/** Inspector ports of the services, for their live heap. */
const inspect: Record<string, number> = {};

before(async () => {
  for (const service of SERVED) inspect[service] = await freePort();
  // No Collector yet: the services start with nothing listening on their OTLP port.
  stack = await startTestStack({
    only: ['jaeger', 'prometheus', 'catalog', 'gateway'],
    envOf: Object.fromEntries(SERVED.map((service) => [service, { NODE_OPTIONS: `--inspect=${LOOPBACK}:${inspect[service]}` }])),
  });
  stack.add('otel-collector');
});

after(async () => {
  try {
    for (const service of SERVED) {
      assert.doesNotMatch(stack.log(service), /unhandled promise rejection|"level":"(error|fatal)"/, `${service} logged an error`);
    }
  } finally {
    await stack?.stop();
  }
});

const collector = () => stack.stack.process('otel-collector');

/** Sequential requests through gateway and catalog: every one succeeds, none waits for an export. */
async function block(t: TestContext, name: string, count = BLOCK): Promise<void> {
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    const response = await timedFetch(stack.url('gateway', '/api/products'));
    assert.equal(response.status, 200, `${name}: request failed: ${response.status} ${response.error ?? response.body}`);
    slowest = Math.max(slowest, response.ms);
  }
  t.diagnostic(`${name}: ${count} requests, slowest ${slowest.toFixed(1)} ms`);
  assert.ok(slowest < MAX_REQUEST_MS, `${name}: a request took ${slowest.toFixed(0)} ms: it waited for the exporter`);
}

interface Memory {
  heap: number;
  rss: number;
}

/** Live heap and RSS of each service after a flood through gateway and catalog; every request must succeed. */
async function flood(): Promise<Record<string, Memory>> {
  for (const count of [1000, FLOOD]) {
    const results = await runConcurrently(count, 8, () => timedFetch(stack.url('gateway', '/api/products')));
    const failed = results.filter((result) => result.status !== 200);
    assert.equal(failed.length, 0, `requests failed during the flood: ${JSON.stringify(failed.slice(0, 3))}`);
  }
  const memory: Record<string, Memory> = {};
  for (const service of SERVED) {
    const heap = await liveHeapMiB(inspect[service] as number);
    memory[service] = { heap, rss: readRss(stack.stack.process(service).pid as number).rssMiB };
  }
  return memory;
}

/** Memory after a flood with a working Collector; measured once, by the first test. */
let baselineMemory: Record<string, Memory> | undefined;

function assertMemoryBounded(t: TestContext, name: string, memory: Record<string, Memory>): void {
  assert.ok(baselineMemory, 'no baseline was measured');
  for (const service of SERVED) {
    const [during, base] = [memory[service] as Memory, baselineMemory[service] as Memory];
    t.diagnostic(
      `${name}: ${service} after ${FLOOD} requests: live heap ${during.heap.toFixed(1)} MiB, RSS ${during.rss.toFixed(0)} MiB ` +
        `(working Collector: ${base.heap.toFixed(1)} MiB, ${base.rss.toFixed(0)} MiB)`,
    );
    assert.ok(during.heap <= base.heap + HEAP_OVER_BASELINE_MIB, `${name}: ${service} live heap ${during.heap.toFixed(1)} MiB, over ${base.heap.toFixed(1)} + ${HEAP_OVER_BASELINE_MIB} MiB`);
    assert.ok(during.rss <= base.rss + RSS_OVER_BASELINE_MIB, `${name}: ${service} RSS ${during.rss.toFixed(0)} MiB, over ${base.rss.toFixed(0)} + ${RSS_OVER_BASELINE_MIB} MiB`);
  }
}

/**
 * Telemetry flows: a traced request sent now has its spans from both services in Jaeger. A span can be
 * dropped while the SDK's queue is still full from the outage, so a new request is sent every second
 * until one arrives whole.
 */
async function assertTelemetryFlows(t?: TestContext): Promise<void> {
  const started = Date.now();
  const sent: string[] = [];
  await waitFor(
    'a new trace with spans of gateway and catalog in Jaeger',
    async () => {
      const trace = newTraceparent();
      const response = await timedFetch(stack.url('gateway', '/api/products/p-002'), { headers: { traceparent: trace.traceparent } });
      assert.equal(response.status, 200);
      sent.push(trace.traceId);
      for (const traceId of sent) {
        const found = await getTrace(stack.url('jaegerQuery'), traceId);
        if (found && new Set(found.spans.map((span) => serviceOf(found, span))).size === 2) return true;
      }
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  t?.diagnostic(`telemetry flowing ${((Date.now() - started) / 1000).toFixed(1)} s after the Collector was back`);
}

const fault = (name: CollectorFault) => collectorFault(name, { collector: collector(), otlpHttp: { host: LOOPBACK, port: stack.ports.otlpHttp } });

/** The fault on: requests succeed without waiting and memory stays bounded; off: telemetry flows again. */
async function underFault(t: TestContext, name: CollectorFault): Promise<number> {
  const injected = fault(name);
  await injected.on();
  try {
    await block(t, name);
    assertMemoryBounded(t, name, await flood());
  } finally {
    await injected.off();
  }
  await assertTelemetryFlows(t);
  return injected.swallowed();
}

describe('Collector unavailable', () => {
  test('absent from the start: no errors, no request waits, memory bounded, telemetry flows once it starts', async (t) => {
    await block(t, 'absent');
    const absentMemory = await flood();
    // Absent is the stopped fault from the start: taking it away starts the Collector.
    await fault('stopped').off();
    await assertTelemetryFlows(t);
    baselineMemory = await flood();
    assertMemoryBounded(t, 'absent', absentMemory);
  });

  test('frozen (SIGSTOP): no errors, no request waits, memory bounded, telemetry resumes on SIGCONT', async (t) => {
    await underFault(t, 'frozen');
  });

  test('stopped: no errors, no request waits, memory bounded, telemetry resumes on restart', async (t) => {
    await underFault(t, 'stopped');
  });

  test('a black hole on the OTLP port: no errors, no request waits, memory bounded, telemetry resumes', async (t) => {
    const swallowed = await underFault(t, 'black hole');
    assert.ok(swallowed > 0, 'the services never connected to the black hole: the fault was not exercised');
  });
});

// ---------------------------------------------------------------------------------------------------

const collectorMetric = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
  (await CollectorMetrics.scrape(stack.url('collectorMetrics', '/metrics'))).sum(name, labels);

/** Waits for one of the Collector's own metrics to rise above zero, and returns its value then. */
const collectorMetricAbove = (what: string, name: string, labels: Record<string, string>, options?: WaitOptions): Promise<number> =>
  waitFor(
    what,
    async () => {
      const value = await collectorMetric(name, labels);
      return value > 0 ? value : undefined;
    },
    options,
  );

/** OTLP/JSON spans straight to the Collector, as a busy fleet of services would send them. */
async function floodCollector(batches: number, spansPerBatch: number): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  await runConcurrently(batches, 4, async () => {
    const traceId = randomBytes(16).toString('hex');
    const spans = Array.from({ length: spansPerBatch }, (_, i) => ({
      traceId,
      spanId: randomBytes(8).toString('hex'),
      name: `flood-${i}`,
      kind: 2,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1_000_000n),
      attributes: [{ key: 'http.route', value: { stringValue: '/flood' } }, { key: 'payload', value: { stringValue: 'x'.repeat(200) } }],
    }));
    const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'flood' } }] }, scopeSpans: [{ spans }] }] };
    const response = await fetch(stack.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.arrayBuffer();
  });
}

describe('Collector backends unavailable', () => {
  test('Jaeger stopped: the Collector stays up within its memory limit, sheds load through its bounded queue, and delivers again', async (t) => {
    await assertTelemetryFlows();
    await stack.stack.process('jaeger').stop();
    const early = newTraceparent();
    assert.equal((await timedFetch(stack.url('gateway', '/api/products/p-003'), { headers: { traceparent: early.traceparent } })).status, 200);

    // 60,000 spans against a queue of 20,000 (sending_queue.queue_size): the rest must be refused, not kept.
    await floodCollector(60, 1000);
    const rss = await collectorMetric('otelcol_process_memory_rss');
    const failed = await collectorMetricAbove('refused spans to be counted', 'otelcol_exporter_enqueue_failed_spans', { exporter: 'otlp_grpc/jaeger' });
    const queued = await collectorMetric('otelcol_exporter_queue_size', { exporter: 'otlp_grpc/jaeger' });
    const capacity = await collectorMetric('otelcol_exporter_queue_capacity', { exporter: 'otlp_grpc/jaeger' });
    t.diagnostic(`Jaeger down: Collector RSS ${(rss / 2 ** 20).toFixed(0)} MiB, queue ${queued}/${capacity}, ${failed} spans refused`);
    assert.ok(collector().running, 'the Collector exited');
    assert.ok(rss / 2 ** 20 < COLLECTOR_LIMIT_MIB, `Collector RSS ${(rss / 2 ** 20).toFixed(0)} MiB is over its ${COLLECTOR_LIMIT_MIB} MiB limit`);
    assert.ok(queued <= capacity, `queue ${queued} over its capacity ${capacity}`);
    assert.ok(readRss(collector().pid as number).rssMiB < COLLECTOR_LIMIT_MIB);

    stack.stack.process('jaeger').start();
    await stack.stack.process('jaeger').waitReady(60_000);
    // The trace sent while Jaeger was down waited in the queue and arrives (retries last 60 s).
    await waitForTrace(stack.ports.jaegerQuery, early.traceId, (found) => found.spans.length >= 2, 60_000);
    await assertTelemetryFlows();
  });

  test('Prometheus stopped: the Collector stays up within its memory limit and metrics arrive again after the restart', async (t) => {
    await stack.stack.process('prometheus').stop();
    await runConcurrently(2000, 8, () => timedFetch(stack.url('gateway', '/api/products')));
    // A failed export is retried for up to a minute (retry_on_failure) before it counts as failed
    // (otelcol_exporter_send_failed_metric_points); until then the outage shows as batches held in the
    // exporter's bounded queue behind the consumers that are retrying.
    const held = await collectorMetricAbove(
      'metric batches held in the queue to Prometheus',
      'otelcol_exporter_queue_size',
      { exporter: 'otlp_http/prometheus' },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const rss = await collectorMetric('otelcol_process_memory_rss');
    t.diagnostic(`Prometheus down: Collector RSS ${(rss / 2 ** 20).toFixed(0)} MiB, ${held} batches held`);
    assert.ok(collector().running, 'the Collector exited');
    assert.ok(rss / 2 ** 20 < COLLECTOR_LIMIT_MIB);

    const restarted = Date.now() / 1000;
    stack.stack.process('prometheus').start();
    await stack.stack.process('prometheus').waitReady(60_000);
    await waitFor(
      'a gateway sample written after the restart',
      async () => {
        const [latest] = await promQuery(stack.url('prometheus'), 'max(timestamp(http_server_request_duration_seconds_count{job="gateway"}))');
        return latest && Number(latest.value[1]) > restarted ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
  });
});
