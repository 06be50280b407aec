import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { createHttpServer, Readiness, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import express from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { assertProblem } from '@qoslab/http-kit/testing';
import { PROBLEM_TYPES } from '@qoslab/contracts';

type Mode = 'ok' | 'error' | 'slow';
const state = { catalog: 'ok' as Mode, orders: 'ok' as Mode, lastKey: undefined as string | undefined, lastBody: undefined as unknown };
const servers: Server[] = [];
let app: express.Express;

const product = { id: 'p-001', name: 'Trace Mug', description: 'x', priceCents: 1299, currency: 'EUR', stock: 5 };
const order = { id: '6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f11', status: 'confirmed', email: 'a@b.co', items: [{ productId: 'p-001', quantity: 1, name: 'Trace Mug', unitPriceCents: 1299 }], totalCents: 1299, currency: 'EUR', createdAt: new Date(0).toISOString() };

function misbehave(mode: () => Mode): express.RequestHandler {
  return (_req, res, next) => {
    if (mode() === 'error') return void res.status(500).end();
    if (mode() === 'slow') return; // never answers; the servers' connections are closed after the tests
    next();
  };
}

async function listen(handler: express.Express): Promise<string> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  const catalog = express().use(misbehave(() => state.catalog));
  catalog.get('/products', (_req, res) => void res.json({ products: [product, { ...product, id: 'p-002' }] }));
  catalog.get('/products/:id', (req, res) => {
    if (req.params.id === 'p-001') return void res.json(product);
    res.status(404).type('application/problem+json').send(JSON.stringify({ type: PROBLEM_TYPES.notFound, title: 'Not found', status: 404, detail: 'no product' }));
  });
  const orders = express().use(express.json()).use(misbehave(() => state.orders));
  orders.post('/orders', (req, res) => {
    state.lastKey = req.get('idempotency-key');
    state.lastBody = req.body;
    if (!req.body.items) {
      return void res
        .status(400)
        .type('application/problem+json')
        .send(JSON.stringify({ type: PROBLEM_TYPES.validation, title: 'Invalid request', status: 400, errors: [{ path: 'body.items', message: 'Required' }] }));
    }
    if (state.lastKey === 'replay') res.set('idempotent-replayed', 'true');
    res.status(201).json(order);
  });
  orders.get('/orders', (req, res) => void res.json({ orders: [order], limit: req.query.limit }));
  orders.get('/orders/:id', (req, res) => {
    if (req.params.id === order.id) return void res.json(order);
    res.status(404).type('application/problem+json').send(JSON.stringify({ type: PROBLEM_TYPES.notFound, title: 'Not found', status: 404 }));
  });
  const readiness = new Readiness();
  readiness.markReady();
  app = createApp({
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    readiness,
    catalog: new Upstream({ name: 'catalog', baseUrl: await listen(catalog), timeoutMs: 1500 }),
    orders: new Upstream({ name: 'orders', baseUrl: await listen(orders), timeoutMs: 1500 }),
  });
});
beforeEach(() => {
  state.catalog = 'ok';
  state.orders = 'ok';
});
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

test('GET / serves the shop page with security headers', async () => {
  const page = await request(app).get('/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.text, /<script src="\/app.js" defer><\/script>/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(page.headers['x-powered-by'], undefined);
  assert.equal((await request(app).get('/app.js')).status, 200);
});

test('GET /api/products and /api/products/:id come from the catalog', async () => {
  const list = await request(app).get('/api/products');
  assert.equal(list.status, 200);
  assert.equal(list.body.products.length, 2);
  assert.deepEqual((await request(app).get('/api/products/p-001')).body, product);
  assertProblem(await request(app).get('/api/products/p-404'), 404, PROBLEM_TYPES.notFound);
  assertProblem(await request(app).get('/api/products/DROP%20TABLE'), 400, PROBLEM_TYPES.validation);
});

test('POST /api/orders forwards body and Idempotency-Key, answers 201 with Location', async () => {
  const body = { customer: { email: 'a@b.co' }, items: [{ productId: 'p-001', quantity: 1 }] };
  const response = await request(app).post('/api/orders').set('idempotency-key', 'k-1').send(body);
  assert.equal(response.status, 201);
  assert.equal(response.headers.location, `/api/orders/${order.id}`);
  assert.equal(state.lastKey, 'k-1');
  assert.deepEqual(state.lastBody, body);
  const replay = await request(app).post('/api/orders').set('idempotency-key', 'replay').send(body);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
});

test('POST /api/orders: the orders service validation problem reaches the client unchanged', async () => {
  const response = await request(app).post('/api/orders').send({ customer: {} });
  assertProblem(response, 400, PROBLEM_TYPES.validation);
  assert.deepEqual(response.body.errors, [{ path: 'body.items', message: 'Required' }]);
});

test('POST /api/orders: bad Idempotency-Key, malformed JSON and non-JSON are 4xx before any call', async () => {
  state.lastKey = undefined;
  assertProblem(await request(app).post('/api/orders').set('idempotency-key', 'no spaces allowed').send({}), 400);
  assertProblem(await request(app).post('/api/orders').set('content-type', 'application/json').send('{"x":'), 400);
  assertProblem(await request(app).post('/api/orders').set('content-type', 'text/plain').send('x'), 415);
  assert.equal(state.lastKey, undefined);
});

test('GET /api/orders/:id fans out to orders and catalog', async () => {
  const response = await request(app).get(`/api/orders/${order.id}`);
  assert.equal(response.status, 200);
  assert.equal(response.body.id, order.id);
  assert.deepEqual(response.body.products.map((p: { id: string }) => p.id), ['p-001']);
  assertProblem(await request(app).get('/api/orders/6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f12'), 404);
  assertProblem(await request(app).get('/api/orders/not-a-uuid'), 400);
});

test('GET /api/orders passes a valid limit and rejects others', async () => {
  assert.equal((await request(app).get('/api/orders?limit=5')).body.limit, '5');
  assertProblem(await request(app).get('/api/orders?limit=-1'), 400);
  // Refused at the gateway by the rule orders applies, not passed through for orders to refuse.
  for (const limit of ['0', '101', '999']) assertProblem(await request(app).get(`/api/orders?limit=${limit}`), 400);
  assert.equal((await request(app).get('/api/orders')).body.limit, '20');
  assertProblem(await request(app).get('/api/orders?debug=1'), 400);
});

test('a dependency answering 5xx gives 502, a slow one 504', async () => {
  state.catalog = 'error';
  assertProblem(await request(app).get('/api/products'), 502, PROBLEM_TYPES.upstreamError);
  state.catalog = 'slow';
  assertProblem(await request(app).get('/api/products'), 504, PROBLEM_TYPES.upstreamTimeout);
  state.catalog = 'ok';
  state.orders = 'slow';
  assertProblem(await request(app).get(`/api/orders/${order.id}`), 504);
  state.orders = 'error';
  assertProblem(await request(app).post('/api/orders').send({ items: [] }), 502);
});

test('an unreachable dependency gives 502', async () => {
  const readiness = new Readiness();
  readiness.markReady();
  const isolated = createApp({
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    readiness,
    catalog: new Upstream({ name: 'catalog', baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 }),
    orders: new Upstream({ name: 'orders', baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 }),
  });
  const response = await request(isolated).get('/api/products');
  assertProblem(response, 502);
  assert.match(response.body.detail, /catalog is unreachable/);
});

test("the shop page learns the lab console's address from /api/links (null when there is none)", async () => {
  assert.deepEqual((await request(app).get('/api/links').expect(200)).body, { console: null });
  const readiness = new Readiness();
  const linked = createApp({
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    readiness,
    catalog: new Upstream({ name: 'catalog', baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 }),
    orders: new Upstream({ name: 'orders', baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 }),
    consoleUrl: 'http://127.0.0.1:8085/',
  });
  assert.deepEqual((await request(linked).get('/api/links').expect(200)).body, { console: 'http://127.0.0.1:8085/' });
});
