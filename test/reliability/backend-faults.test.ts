// A backend stopped, frozen (SIGSTOP: connections accepted, never answered) or slow (fault injection):
// the gateway answers 502 or 504 problems within its timeout, the trace in Jaeger has the error on the
// span that called the failing backend, nothing is left unhandled, and it recovers when the backend does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '@qoslab/http-kit/testing';
import { newTraceparent, serviceOf, tag } from '../lib/jaeger';
import { json, orderBody, problemOf, timedFetch, waitForTrace } from './support';
import { startTestStack, type TestStack } from '../lib/stack';
import { type JaegerSpan, type JaegerTrace } from '@qoslab/observability-client';

const GATEWAY_TIMEOUT_MS = 1500;
const ORDERS_TIMEOUT_MS = 700;
/** Scheduling slack on a shared 2-core machine: the answer may come this much after the timeout. */
const SLACK_MS = 750;

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    only: ['jaeger', 'otel-collector', 'postgres', 'catalog', 'payments', 'orders', 'gateway'],
    envOf: { gateway: { UPSTREAM_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS) }, orders: { UPSTREAM_TIMEOUT_MS: String(ORDERS_TIMEOUT_MS) } },
  });
});

after(async () => {
  try {
    for (const service of ['gateway', 'catalog', 'orders', 'payments']) {
      assert.doesNotMatch(stack.log(service), /unhandled promise rejection|Unhandled 'error' event/, `${service} left a rejection unhandled`);
    }
  } finally {
    await stack?.stop();
  }
});

async function call(path: string, init: RequestInit = {}) {
  const trace = newTraceparent();
  const headers = { ...(init.headers as Record<string, string>), traceparent: trace.traceparent };
  const response = await timedFetch(stack.url('gateway', path), { ...init, headers });
  return { ...response, traceId: trace.traceId };
}

/** The span of `service` that matches; fails with the spans the trace has when there is none. */
function spanOf(trace: JaegerTrace, service: string, kind: 'server' | 'client', match: (span: JaegerSpan) => boolean = () => true): JaegerSpan {
  const found = trace.spans.find((span) => serviceOf(trace, span) === service && tag(span, 'span.kind') === kind && match(span));
  assert.ok(found, `no ${kind} span of ${service}: ${trace.spans.map((s) => `${serviceOf(trace, s)}/${tag(s, 'span.kind')}/${s.operationName}`).join(', ')}`);
  return found;
}

const isError = (span: JaegerSpan) => tag(span, 'otel.status_code') === 'ERROR';

function assertAlive(...services: string[]): void {
  for (const service of services) assert.ok(stack.stack.process(service).running, `${service} exited:\n${stack.stack.process(service).tail()}`);
}

describe('catalog fails behind the gateway', () => {
  test('stopped: 502 problem at once, error on the gateway span that called catalog, recovery when it returns', async () => {
    await stack.stack.process('catalog').stop();
    const response = await call('/api/products');
    assert.equal(response.status, 502, response.body);
    assertProblem(problemOf(response), 502);
    assert.ok(response.ms < GATEWAY_TIMEOUT_MS, `a refused connection took ${response.ms} ms`);

    const trace = await waitForTrace(stack.ports.jaegerQuery, response.traceId, (t) => t.spans.length >= 2);
    const client = spanOf(trace, 'gateway', 'client', (span) => tag(span, 'url.path') === '/products');
    assert.ok(isError(client), 'the client span to catalog has no error status');
    assert.equal(tag(client, 'error.type'), 'ECONNREFUSED');
    const server = spanOf(trace, 'gateway', 'server');
    assert.ok(isError(server));
    assert.equal(tag(server, 'http.response.status_code'), 502);

    stack.stack.process('catalog').start();
    await stack.stack.process('catalog').waitReady(30_000);
    assert.equal((await call('/api/products')).status, 200);
    assertAlive('gateway', 'catalog');
  });

  test('frozen (SIGSTOP): 504 problem within the timeout, error on the client span, recovery on SIGCONT', async () => {
    stack.stack.process('catalog').pause(true);
    let response;
    try {
      response = await call('/api/products/p-001');
    } finally {
      stack.stack.process('catalog').pause(false);
    }
    assert.equal(response.status, 504, response.body);
    assertProblem(problemOf(response), 504);
    assert.ok(response.ms >= GATEWAY_TIMEOUT_MS * 0.9 && response.ms < GATEWAY_TIMEOUT_MS + SLACK_MS, `answered after ${response.ms} ms`);

    const trace = await waitForTrace(stack.ports.jaegerQuery, response.traceId, (t) => t.spans.length >= 2);
    const client = spanOf(trace, 'gateway', 'client', (span) => tag(span, 'url.path') === '/products/p-001');
    assert.ok(isError(client), 'the client span to catalog has no error status');
    assert.equal(tag(spanOf(trace, 'gateway', 'server'), 'http.response.status_code'), 504);
    assert.ok(isError(spanOf(trace, 'gateway', 'server')));

    assert.equal((await call('/api/products/p-001')).status, 200);
    assertAlive('gateway', 'catalog');
  });

  test('slow (3 s injected delay): 504 problem within the timeout, then normal answers', async () => {
    const response = await call('/api/products', { headers: { 'x-fault-inject': 'catalog:delay=3000' } });
    assert.equal(response.status, 504, response.body);
    assertProblem(problemOf(response), 504);
    assert.ok(response.ms < GATEWAY_TIMEOUT_MS + SLACK_MS, `answered after ${response.ms} ms`);
    const trace = await waitForTrace(stack.ports.jaegerQuery, response.traceId, (t) => t.spans.length >= 2);
    assert.ok(isError(spanOf(trace, 'gateway', 'client', (span) => tag(span, 'url.path') === '/products')));
    assert.equal((await call('/api/products')).status, 200);
  });
});

describe('payments fails behind orders', () => {
  test('stopped: 502 through the gateway; the error is on the orders span that called payments', async () => {
    await stack.stack.process('payments').stop();
    const response = await call('/api/orders', json(orderBody()));
    assert.equal(response.status, 502, response.body);
    assertProblem(problemOf(response), 502);

    const trace = await waitForTrace(stack.ports.jaegerQuery, response.traceId, (t) => t.spans.some((span) => serviceOf(t, span) === 'orders' && tag(span, 'url.path') === '/charges'));
    const charge = spanOf(trace, 'orders', 'client', (span) => tag(span, 'url.path') === '/charges');
    assert.ok(isError(charge), 'the client span to payments has no error status');
    assert.equal(tag(charge, 'error.type'), 'ECONNREFUSED');
    assert.equal(tag(spanOf(trace, 'orders', 'server'), 'http.response.status_code'), 502);
    // The reservation that came before succeeded, and its span says so.
    assert.ok(!isError(spanOf(trace, 'orders', 'client', (span) => tag(span, 'url.path') === '/reservations')));

    stack.stack.process('payments').start();
    await stack.stack.process('payments').waitReady(30_000);
    const recovered = await call('/api/orders', json(orderBody()));
    assert.equal(recovered.status, 201, recovered.body);
    assertAlive('gateway', 'orders', 'payments');
  });

  test('slow: orders times out the charge (504), the gateway answers 502 within its timeout', async () => {
    const response = await call('/api/orders', json(orderBody(), { 'x-fault-inject': 'payments:delay=3000' }));
    assert.equal(response.status, 502, response.body);
    assertProblem(problemOf(response), 502);
    assert.ok(response.ms < GATEWAY_TIMEOUT_MS + SLACK_MS, `answered after ${response.ms} ms`);

    const trace = await waitForTrace(stack.ports.jaegerQuery, response.traceId, (t) => t.spans.some((span) => serviceOf(t, span) === 'orders' && tag(span, 'url.path') === '/charges'));
    assert.ok(isError(spanOf(trace, 'orders', 'client', (span) => tag(span, 'url.path') === '/charges')));
    assert.equal(tag(spanOf(trace, 'orders', 'server'), 'http.response.status_code'), 504);
    assert.equal((await call('/api/orders', json(orderBody()))).status, 201);
  });
});
