import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import request from 'supertest';
import { card, type Harness, key, orderBody, startHarness } from './support';
import { assertProblem } from '@qoslab/http-kit/testing';
import { PROBLEM_TYPES } from '@qoslab/contracts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
beforeEach(async () => h.reset());
after(async () => h.close());

test('POST /orders confirms, persists, and can be read back', async () => {
  const created = await request(h.app).post('/orders').send(orderBody());
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, 'confirmed');
  assert.equal(created.body.totalCents, 2000);
  assert.equal(created.body.cardLast4, '4242');
  assert.equal(created.headers.location, `/orders/${created.body.id}`);
  assert.ok(!JSON.stringify(created.body).includes(card.number));

  const read = await request(h.app).get(`/orders/${created.body.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(read.body, created.body);
  const list = await request(h.app).get('/orders?limit=5');
  assert.deepEqual(list.body.orders.map((order: { id: string }) => order.id), [created.body.id]);
});

test('the same Idempotency-Key twice creates one order and charges once', async () => {
  const idempotencyKey = key();
  const first = await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody());
  const second = await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody());
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(second.headers['idempotent-replayed'], 'true');
  assert.equal(second.body.id, first.body.id);
  assert.equal(await h.countOrders(), 1);
  assert.equal(h.fakes.charges.get(first.body.id), 1);
});

test('an Idempotency-Key reused for another order is a 422', async () => {
  const idempotencyKey = key();
  await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody());
  const reused = await request(h.app)
    .post('/orders')
    .set('idempotency-key', idempotencyKey)
    .send(orderBody({ items: [{ productId: 'p-003', quantity: 1 }] }));
  assertProblem(reused, 422, PROBLEM_TYPES.idempotencyKeyReuse);
  assert.equal(await h.countOrders(), 1);
});

test('out of stock passes the 409 on and keeps nothing', async () => {
  h.fakes.catalog = 'reject';
  assertProblem(await request(h.app).post('/orders').send(orderBody()), 409, PROBLEM_TYPES.outOfStock);
  assert.equal(await h.countOrders(), 0);
});

test('a declined card is a 402: the stock is released, a retry gets the same answer', async () => {
  h.fakes.payments = 'reject';
  const idempotencyKey = key();
  assertProblem(await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody()), 402, PROBLEM_TYPES.paymentDeclined);
  assert.equal(h.fakes.releases.length, 1);
  const { rows } = await h.pool.query('SELECT status FROM orders');
  assert.deepEqual(rows, [{ status: 'payment_declined' }]);
  h.fakes.payments = 'ok';
  assertProblem(await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody()), 402);
});

test('catalog 5xx is a 502, catalog timeout a 504', async () => {
  h.fakes.catalog = 'error';
  assertProblem(await request(h.app).post('/orders').send(orderBody()), 502, PROBLEM_TYPES.upstreamError);
  h.fakes.catalog = 'slow';
  assertProblem(await request(h.app).post('/orders').send(orderBody()), 504, PROBLEM_TYPES.upstreamTimeout);
});

test('payments timeout is a 504; a retry with the same key completes the same order, charged once', async () => {
  h.fakes.payments = 'slow';
  const idempotencyKey = key();
  assertProblem(await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody()), 504);
  const { rows } = await h.pool.query('SELECT id, status FROM orders');
  assert.equal(rows[0].status, 'failed');
  h.fakes.payments = 'ok';
  const retry = await request(h.app).post('/orders').set('idempotency-key', idempotencyKey).send(orderBody());
  assert.equal(retry.status, 201);
  assert.equal(retry.body.id, rows[0].id);
  assert.equal(h.fakes.charges.get(rows[0].id), 1);
  assert.equal(await h.countOrders(), 1);
});

test('payments 5xx is a 502', async () => {
  h.fakes.payments = 'error';
  assertProblem(await request(h.app).post('/orders').send(orderBody()), 502);
});

const invalid: [string, object, Record<string, string>?][] = [
  ['empty body', {}],
  ['bad email', orderBody({ customer: { email: 'not-an-email' } })],
  ['no items', orderBody({ items: [] })],
  ['duplicate products', orderBody({ items: [{ productId: 'p-001', quantity: 1 }, { productId: 'p-001', quantity: 1 }] })],
  ['quantity too large', orderBody({ items: [{ productId: 'p-001', quantity: 11 }] })],
  ['quantity as string', orderBody({ items: [{ productId: 'p-001', quantity: '2' }] })],
  ['bad product id', orderBody({ items: [{ productId: '../etc', quantity: 1 }] })],
  ['bad card number', orderBody({ payment: { card: { ...card, number: '1234' } } })],
  ['missing cvc', orderBody({ payment: { card: { number: card.number, expMonth: 1, expYear: 2030 } } })],
  ['extra field', orderBody({ coupon: 'FREE' })],
  ['bad idempotency key', orderBody(), { 'idempotency-key': 'has spaces and !' }],
];
for (const [name, body, headers] of invalid) {
  test(`POST /orders: ${name} is a 400 and writes nothing`, async () => {
    assertProblem(await request(h.app).post('/orders').set(headers ?? {}).send(body), 400, PROBLEM_TYPES.validation);
    assert.equal(await h.countOrders(), 0);
    assert.equal(h.fakes.charges.size, 0);
  });
}

test('GET /orders/:id: malformed id is 400, unknown is 404', async () => {
  assertProblem(await request(h.app).get('/orders/123'), 400);
  assertProblem(await request(h.app).get('/orders/6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f11'), 404);
});

test('GET /orders: bad limits and unknown parameters are 400', async () => {
  for (const query of ['limit=0', 'limit=101', 'limit=abc', 'sort=desc']) {
    assertProblem(await request(h.app).get(`/orders?${query}`), 400);
  }
});

test('injected faults reach the dependencies through the header', async () => {
  const response = await request(h.app).post('/orders').set('x-fault-inject', 'orders:status=503').send(orderBody());
  assertProblem(response, 503);
  assert.equal(await h.countOrders(), 0);
});
