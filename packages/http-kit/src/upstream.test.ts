import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpError, UpstreamError, UpstreamTimeoutError } from './errors';
import { requestContext } from './request-context';
import { Upstream } from './upstream';
import { PROBLEM_TYPES } from '@qoslab/contracts';

let server: Server;
let baseUrl: string;
const seen: Record<string, string | undefined> = {};

before(async () => {
  server = createServer((req, res) => {
    seen.fault = req.headers['x-fault-inject'] as string | undefined;
    if (req.url === '/ok') return res.setHeader('content-type', 'application/json'), res.end('{"a":1}');
    if (req.url === '/hang') return;
    if (req.url === '/fail') return (res.statusCode = 500), res.end('oops');
    if (req.url === '/conflict') {
      res.statusCode = 409;
      res.setHeader('content-type', 'application/problem+json');
      return res.end(JSON.stringify({ type: PROBLEM_TYPES.outOfStock, title: 'Conflict', status: 409, detail: 'no stock' }));
    }
    if (req.url === '/html') return res.end('<html>');
    // Chunked (no content-length), over the limit, and never finished: only a reader that counts as it goes stops.
    if (req.url === '/endless') return res.setHeader('content-type', 'application/json'), res.write('['), res.write('0,'.repeat(600_000));
    // Chunked, under the limit in UTF-16 units, over it in bytes (three bytes each).
    if (req.url === '/wide') return res.setHeader('content-type', 'application/json'), res.write(JSON.stringify('€'.repeat(400_000))), res.end();
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

// Generous for answers that should arrive (tests share two cores with builds); short only where the timeout is the point.
const upstream = (timeoutMs = 5000) => new Upstream({ name: 'catalog', baseUrl, timeoutMs });

test('returns the parsed body', async () => {
  const response = await upstream().request('/ok');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { a: 1 });
});

test('an answered call cancels its timeout: its signal never aborts afterwards', async () => {
  const signals: AbortSignal[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (init?.signal) signals.push(init.signal);
    return original(input, init);
  };
  try {
    await upstream(100).request('/ok');
    await assert.rejects(upstream(100).request('/fail'));
  } finally {
    globalThis.fetch = original;
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(signals.length, 2);
  assert.deepEqual(signals.map((signal) => signal.aborted), [false, false]);
});

test('no answer within the timeout is a 504', async () => {
  await assert.rejects(upstream(200).request('/hang'), (error) => error instanceof UpstreamTimeoutError && error.status === 504);
});

test('a 5xx answer is a 502', async () => {
  await assert.rejects(upstream().request('/fail'), (error) => error instanceof UpstreamError && error.status === 502);
});

test('an unreachable dependency is a 502', async () => {
  const closed = new Upstream({ name: 'payments', baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 });
  await assert.rejects(closed.request('/x'), (error) => error instanceof UpstreamError && /payments is unreachable/.test(error.message));
});

test('a 4xx problem is passed on unchanged', async () => {
  await assert.rejects(upstream().request('/conflict'), (error) => {
    assert.ok(error instanceof HttpError && !(error instanceof UpstreamError));
    assert.deepEqual(error.toProblem(), { type: PROBLEM_TYPES.outOfStock, title: 'Conflict', status: 409, detail: 'no stock' });
    return true;
  });
});

test('a 2xx body that is not JSON is a 502', async () => {
  await assert.rejects(upstream().request('/html'), UpstreamError);
});

test('a chunked body over the limit is refused as it arrives, not after it ends', async () => {
  await assert.rejects(upstream().request('/endless'), (error) => error instanceof UpstreamError && /too large/.test(error.message));
});

test('the limit counts bytes, not characters', async () => {
  await assert.rejects(upstream().request('/wide'), (error) => error instanceof UpstreamError && /too large/.test(error.message));
});

test('forwards the fault injection header of the current request', async () => {
  await requestContext.run({ faultHeader: 'payments:delay=1' }, () => upstream().request('/ok'));
  assert.equal(seen.fault, 'payments:delay=1');
  await upstream().request('/ok');
  assert.equal(seen.fault, undefined);
});
