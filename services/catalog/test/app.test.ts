import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Readiness } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import request from 'supertest';
import { createApp } from '../src/app';
import { ProductCache } from '../src/product-cache';
import { SEED_PRODUCTS } from '../src/products';
import { StockLedger } from '../src/stock';
import { assertProblem } from '@qoslab/http-kit/testing';
import { PROBLEM_TYPES } from '@qoslab/contracts';

function build() {
  const readiness = new Readiness();
  readiness.markReady();
  const stock = new StockLedger(SEED_PRODUCTS.map((product) => [product.id, product.id === 'p-002' ? 3 : product.initialStock]));
  const app = createApp({
    logger: createLogger({ service: 'catalog', level: 'silent' }),
    readiness,
    products: new ProductCache(async () => SEED_PRODUCTS.map(({ initialStock: _s, ...product }) => product), 60_000),
    stock,
  });
  return { app, stock };
}

test('GET /products lists every product with its stock', async () => {
  const response = await request(build().app).get('/products');
  assert.equal(response.status, 200);
  assert.equal(response.body.products.length, SEED_PRODUCTS.length);
  const soldOut = response.body.products.find((product: { id: string }) => product.id === 'p-012');
  assert.equal(soldOut.stock, 0);
});

test('GET /products/:id: found, unknown, malformed', async () => {
  const { app } = build();
  const found = await request(app).get('/products/p-003');
  assert.equal(found.status, 200);
  assert.equal(found.body.name, 'Histogram Hoodie');
  assertProblem(await request(app).get('/products/p-999'), 404);
  assertProblem(await request(app).get('/products/..%2F..%2Fetc'), 400);
});

test('POST /reservations takes stock once, even when retried', async () => {
  const { app, stock } = build();
  const reservationId = randomUUID();
  const body = { reservationId, items: [{ productId: 'p-002', quantity: 2 }, { productId: 'p-001', quantity: 1 }] };
  const first = await request(app).post('/reservations').send(body);
  assert.equal(first.status, 201);
  assert.equal(first.body.totalCents, 2 * 1999 + 1299);
  assert.equal(stock.stockOf('p-002'), 1);
  const retry = await request(app).post('/reservations').send(body);
  assert.equal(retry.status, 200);
  assert.deepEqual(retry.body, first.body);
  assert.equal(stock.stockOf('p-002'), 1);
  assertProblem(await request(app).post('/reservations').send({ ...body, items: [{ productId: 'p-001', quantity: 5 }] }), 422, PROBLEM_TYPES.reservationMismatch);
});

test('POST /reservations: out of stock is 409 and takes nothing', async () => {
  const { app, stock } = build();
  const response = await request(app)
    .post('/reservations')
    .send({ reservationId: randomUUID(), items: [{ productId: 'p-001', quantity: 1 }, { productId: 'p-002', quantity: 4 }] });
  assertProblem(response, 409, PROBLEM_TYPES.outOfStock);
  assert.deepEqual(response.body.productIds, ['p-002']);
  assert.equal(stock.stockOf('p-001'), 1_000_000);
});

test('POST /reservations: unknown product is 422', async () => {
  const response = await request(build().app).post('/reservations').send({ reservationId: randomUUID(), items: [{ productId: 'p-404', quantity: 1 }] });
  assertProblem(response, 422, PROBLEM_TYPES.unknownProduct);
});

for (const [name, body] of [
  ['missing items', { reservationId: randomUUID() }],
  ['bad uuid', { reservationId: 'x', items: [{ productId: 'p-001', quantity: 1 }] }],
  ['quantity as string', { reservationId: randomUUID(), items: [{ productId: 'p-001', quantity: '1' }] }],
  ['zero quantity', { reservationId: randomUUID(), items: [{ productId: 'p-001', quantity: 0 }] }],
  ['extra field', { reservationId: randomUUID(), items: [{ productId: 'p-001', quantity: 1 }], discount: 100 }],
  ['array body', [1, 2]],
] as const) {
  test(`POST /reservations: ${name} is a 400`, async () => {
    assertProblem(await request(build().app).post('/reservations').send(body as object), 400, PROBLEM_TYPES.validation);
  });
}

test('DELETE /reservations/:id returns the stock; unknown is 404, malformed 400', async () => {
  const { app, stock } = build();
  const reservationId = randomUUID();
  await request(app).post('/reservations').send({ reservationId, items: [{ productId: 'p-002', quantity: 3 }] });
  assert.equal(stock.stockOf('p-002'), 0);
  assert.equal((await request(app).delete(`/reservations/${reservationId}`)).status, 204);
  assert.equal(stock.stockOf('p-002'), 3);
  assertProblem(await request(app).delete(`/reservations/${reservationId}`), 404);
  assertProblem(await request(app).delete('/reservations/nope'), 400);
});
