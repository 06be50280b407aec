// SIGTERM during load. A stand-in load balancer polls /readyz and stops sending new requests once it
// fails, as Kubernetes endpoints do. Readiness must fail while the service still answers, every request
// sent before that must complete, the spans of those requests must reach Jaeger, and the process must
// exit 0 within SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS. Spans are batched for 30 s here, so only the
// flush in the shutdown sequence can deliver them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newTraceparent, serviceOf, tag } from '../lib/jaeger';
import { json, orderBody, timedFetch, waitForTrace } from './support';
import { startTestStack, type TestStack } from '../lib/stack';

const SHUTDOWN_DELAY_MS = 1000;
const SHUTDOWN_GRACE_MS = 8000;

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    only: ['jaeger', 'otel-collector', 'postgres', 'catalog', 'payments', 'orders', 'gateway'],
    serviceEnv: {
      OTEL_BSP_SCHEDULE_DELAY: '30000',
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    },
  });
});
after(async () => stack?.stop());

interface Sent {
  traceId: string;
  status: number;
  body: string;
  error?: string;
}

interface Outcome {
  sent: Sent[];
  exitCode: number | null | undefined;
  exitMs: number;
  firstFailedProbe: number;
  inFlightAtSigterm: number;
}

/**
 * Keeps `clients` requests in flight against the gateway, SIGTERMs `target` once they run, and stops
 * sending when `target`'s readiness fails.
 */
async function sigtermDuringLoad(
  target: 'gateway' | 'orders',
  request: (traceparent: string) => Promise<{ status: number; body: string; error?: string }>,
  clients = 16,
): Promise<Outcome> {
  const sent: Sent[] = [];
  let open = true;
  let inFlight = 0;
  const load = Array.from({ length: clients }, async () => {
    while (open) {
      const trace = newTraceparent();
      inFlight++;
      const response = await request(trace.traceparent);
      inFlight--;
      sent.push({ traceId: trace.traceId, status: response.status, body: response.body, ...(response.error ? { error: response.error } : {}) });
    }
  });
  await sleep(1500);
  const managed = stack.stack.process(target);
  const inFlightAtSigterm = inFlight;
  const started = performance.now();
  const exited = managed.stop(30_000);
  let firstFailedProbe = 0;
  while (firstFailedProbe === 0) {
    const probe = await timedFetch(stack.url(target, '/readyz'), { timeoutMs: 1000 });
    if (probe.status !== 200) firstFailedProbe = probe.status;
    else await sleep(50);
  }
  open = false;
  await Promise.all(load);
  const exitCode = await exited;
  return { sent, exitCode, exitMs: performance.now() - started, firstFailedProbe, inFlightAtSigterm };
}

function assertCleanShutdown(target: string, outcome: Outcome, report: (message: string) => void): void {
  report(`${target}: ${outcome.sent.length} requests, ${outcome.inFlightAtSigterm} in flight at SIGTERM, exit after ${Math.round(outcome.exitMs)} ms`);
  assert.ok(outcome.inFlightAtSigterm > 0, 'no request was in flight at SIGTERM');
  assert.equal(outcome.firstFailedProbe, 503, 'readiness must fail (503) while the server still answers, before it closes');
  const failed = outcome.sent.filter((sent) => sent.status < 200 || sent.status >= 300);
  assert.deepEqual(failed, [], `${failed.length} of ${outcome.sent.length} requests failed`);
  assert.equal(outcome.exitCode, 0, `${target} exit code`);
  assert.ok(outcome.exitMs < SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS, `${target} took ${Math.round(outcome.exitMs)} ms to exit`);
  assert.doesNotMatch(stack.log(target), /unhandled promise rejection|grace period over/);
}

async function restart(target: string): Promise<void> {
  stack.stack.process(target).start();
  await stack.stack.process(target).waitReady(30_000);
}

describe('SIGTERM during load', () => {
  test('gateway: readiness fails first, in-flight requests complete, their spans are flushed, exit in time', async (t) => {
    // Each request waits 0.5 s in catalog, so many are in flight when the signal arrives.
    const outcome = await sigtermDuringLoad('gateway', (traceparent) =>
      timedFetch(stack.url('gateway', '/api/products'), { headers: { traceparent, 'x-fault-inject': 'catalog:delay=500' } }),
    );
    assertCleanShutdown('gateway', outcome, (message) => t.diagnostic(message));
    for (const { traceId } of outcome.sent) {
      await waitForTrace(stack.ports.jaegerQuery, traceId, (trace) =>
        trace.spans.some((span) => serviceOf(trace, span) === 'gateway' && tag(span, 'span.kind') === 'server'),
      );
    }
    await restart('gateway');
  });

  test('orders: in-flight order placements are committed and answered 201, their spans are flushed, exit in time', async (t) => {
    const outcome = await sigtermDuringLoad('orders', (traceparent) =>
      timedFetch(stack.url('gateway', '/api/orders'), json(orderBody(), { traceparent, 'x-fault-inject': 'payments:delay=400' })),
    );
    assertCleanShutdown('orders', outcome, (message) => t.diagnostic(message));
    for (const { traceId } of outcome.sent) {
      await waitForTrace(stack.ports.jaegerQuery, traceId, (trace) =>
        trace.spans.some((span) => serviceOf(trace, span) === 'orders' && tag(span, 'span.kind') === 'server'),
      );
    }
    await restart('orders');
    for (const { body } of outcome.sent) {
      const { id } = JSON.parse(body) as { id: string };
      const stored = await timedFetch(stack.url('gateway', `/api/orders/${id}`));
      assert.equal(stored.status, 200, `order ${id} acknowledged during shutdown is missing`);
    }
  });

  test('with the Collector unreachable, telemetry that cannot be flushed does not keep the process from exiting 0', async (t) => {
    const gateway = stack.stack.process('gateway');
    for (let i = 0; i < 20; i++) assert.equal((await timedFetch(stack.url('gateway', '/api/products'))).status, 200);
    await stack.stack.process('otel-collector').stop();
    try {
      const started = performance.now();
      const code = await gateway.stop(30_000);
      const exitMs = performance.now() - started;
      t.diagnostic(`gateway exit after ${Math.round(exitMs)} ms with the Collector stopped`);
      assert.equal(code, 0);
      // The exporter would retry for its whole timeout (10 s); serve() gives the last flush 5 s, so the
      // exit stays inside the grace period the manifests allow (delay + grace + 5 s, with margin).
      assert.ok(exitMs < SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS + 5_000 + 1_000, `exit after ${Math.round(exitMs)} ms`);
      assert.doesNotMatch(stack.log('gateway'), /unhandled promise rejection/);
    } finally {
      stack.stack.process('otel-collector').start();
      await stack.stack.process('otel-collector').waitReady(60_000);
      await restart('gateway');
    }
  });
});
