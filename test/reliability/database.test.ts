// PostgreSQL outages and order durability on the native stack (the embedded PostgreSQL runs as its own
// process with a data directory): orders answers 503 while the database is gone and recovers, an order
// acknowledged with 201 survives restarts of the orders service and of the database (also a crash of
// the database during load), and a retried POST with the same Idempotency-Key creates one order.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertProblem } from '@qoslab/http-kit/testing';
import { json, orderBody, problemOf, timedFetch } from './support';
import { waitFor } from '@qoslab/http-kit/testing';
import { startTestStack, type TestStack } from '../lib/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    only: ['otel-collector', 'postgres', 'catalog', 'payments', 'orders', 'gateway'],
    envOf: { orders: { DATABASE_QUERY_TIMEOUT_MS: '3000' } },
  });
});
after(async () => stack?.stop());

interface PlacedOrder {
  id: string;
  status: string;
  items: { productId: string; quantity: number }[];
  totalCents: number;
}

const placeOrder = (body = orderBody(), headers: Record<string, string> = {}) => timedFetch(stack.url('gateway', '/api/orders'), json(body, headers));
const getOrder = (id: string) => timedFetch(stack.url('gateway', `/api/orders/${id}`));
const orderCount = async () => ((await (await fetch(stack.url('orders', '/orders?limit=100'))).json()) as { orders: unknown[] }).orders.length;

async function restart(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const managed = stack.stack.process(name);
  await managed.stop(15_000, signal);
  managed.start();
  await managed.waitReady(60_000);
}

/** Every acknowledged order is still there, confirmed, with the items it was acknowledged with. */
async function assertAllPresent(acknowledged: Map<string, PlacedOrder>): Promise<void> {
  for (const [id, placed] of acknowledged) {
    const response = await getOrder(id);
    assert.equal(response.status, 200, `acknowledged order ${id} is gone: ${response.status} ${response.body}`);
    const order = JSON.parse(response.body) as PlacedOrder;
    assert.equal(order.status, 'confirmed');
    assert.equal(order.totalCents, placed.totalCents);
    assert.deepEqual(
      order.items.map((item) => [item.productId, item.quantity]),
      placed.items.map((item) => [item.productId, item.quantity]),
    );
  }
}

describe('PostgreSQL stopped', () => {
  test('orders answers 503 problems, readiness fails, liveness holds, and it recovers when the database returns', async () => {
    const before = await placeOrder();
    assert.equal(before.status, 201, before.body);
    const placed = JSON.parse(before.body) as PlacedOrder;

    await stack.stack.process('postgres').stop();
    const direct = await timedFetch(stack.url('orders', '/orders'), json(orderBody()));
    assert.equal(direct.status, 503, direct.body);
    assertProblem(problemOf(direct), 503);
    const read = await timedFetch(stack.url('orders', `/orders/${placed.id}`));
    assert.equal(read.status, 503, read.body);
    assert.equal((await fetch(stack.url('orders', '/readyz'))).status, 503);
    assert.equal((await fetch(stack.url('orders', '/healthz'))).status, 200);
    // Through the gateway a dependency's 5xx is a 502 (docs/architecture.md).
    const viaGateway = await placeOrder();
    assert.equal(viaGateway.status, 502, viaGateway.body);
    assertProblem(problemOf(viaGateway), 502);
    assert.ok(stack.stack.process('orders').running, 'orders exited with its database');

    stack.stack.process('postgres').start();
    await stack.stack.process('postgres').waitReady(60_000);
    await waitFor('orders ready again', async () => ((await fetch(stack.url('orders', '/readyz'))).ok ? true : undefined), { timeoutMs: 30_000 });
    const afterwards = await placeOrder();
    assert.equal(afterwards.status, 201, afterwards.body);
    await assertAllPresent(new Map([[placed.id, placed]]));
    assert.doesNotMatch(stack.log('orders'), /unhandled promise rejection/);
  });
});

describe('acknowledged orders are never lost', () => {
  test('orders placed around a database crash survive restarts of the orders service and of the database', async (t) => {
    const acknowledged = new Map<string, PlacedOrder>();
    const statuses = new Map<number, number>();
    const products = ['p-001', 'p-002', 'p-003', 'p-004', 'p-005'];
    let placing = true;
    let sent = 0;
    // Four clients place orders back to back until told to stop; each attempt has its own key.
    const clients = Array.from({ length: 4 }, async () => {
      while (placing) {
        const index = sent++;
        const items = [{ productId: products[index % products.length] as string, quantity: 1 + (index % 3) }];
        const response = await placeOrder(orderBody({ items }), { 'idempotency-key': `durable-${index}` });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 201) {
          const order = JSON.parse(response.body) as PlacedOrder;
          acknowledged.set(order.id, order);
        } else {
          await sleep(50);
        }
      }
    });
    const atLeast = (count: number) => waitFor(`${count} acknowledged orders`, async () => (acknowledged.size >= count ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    try {
      await atLeast(20);
      // A crash, not a clean stop: SIGKILL while transactions are in flight.
      await stack.stack.process('postgres').stop(1000, 'SIGKILL');
      await sleep(500);
      stack.stack.process('postgres').start();
      await stack.stack.process('postgres').waitReady(60_000);
      await atLeast(acknowledged.size + 20);
    } finally {
      placing = false;
      await Promise.all(clients);
    }
    for (const status of statuses.keys()) assert.ok([201, 502, 503, 504].includes(status), `unexpected status ${status}`);
    assert.ok((statuses.get(502) ?? 0) + (statuses.get(503) ?? 0) > 0, `the crash went unnoticed: ${JSON.stringify([...statuses])}`);
    t.diagnostic(`${acknowledged.size} orders acknowledged; answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);

    await restart('orders');
    await assertAllPresent(acknowledged);
    await restart('postgres');
    await waitFor('orders ready after the database restart', async () => ((await fetch(stack.url('orders', '/readyz'))).ok ? true : undefined), { timeoutMs: 30_000 });
    await assertAllPresent(acknowledged);
    assert.doesNotMatch(stack.log('orders'), /unhandled promise rejection|Unhandled 'error' event/);
  });
});

describe('Idempotency-Key', () => {
  test('a retried POST /api/orders with the same key creates one order and returns it', async () => {
    const key = `retry-${randomUUID()}`;
    const countBefore = await orderCount();
    const first = await placeOrder(orderBody(), { 'idempotency-key': key });
    assert.equal(first.status, 201, first.body);
    const second = await placeOrder(orderBody(), { 'idempotency-key': key });
    assert.equal(second.status, 201, second.body);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal((JSON.parse(second.body) as PlacedOrder).id, (JSON.parse(first.body) as PlacedOrder).id);
    assert.equal(await orderCount(), countBefore + 1);
  });

  test('concurrent retries with the same key create one order', async () => {
    const key = `concurrent-${randomUUID()}`;
    const countBefore = await orderCount();
    const body = orderBody({ items: [{ productId: 'p-006', quantity: 2 }] });
    const responses = await Promise.all(Array.from({ length: 12 }, () => placeOrder(body, { 'idempotency-key': key })));
    const ids = new Set<string>();
    for (const response of responses) {
      // 409 is the documented answer while the first request is still placing the order.
      assert.ok(response.status === 201 || response.status === 409, `${response.status} ${response.body}`);
      if (response.status === 201) ids.add((JSON.parse(response.body) as PlacedOrder).id);
    }
    const settled = await waitFor('the order to be placed', async () => {
      const retry = await placeOrder(body, { 'idempotency-key': key });
      return retry.status === 201 ? retry : undefined;
    });
    ids.add((JSON.parse(settled.body) as PlacedOrder).id);
    assert.equal(ids.size, 1, `several orders for one key: ${[...ids].join(', ')}`);
    assert.equal(await orderCount(), countBefore + 1);
  });

  test('a retry after a failed attempt (payments down) completes the same order, once', async () => {
    const key = `resume-${randomUUID()}`;
    const countBefore = await orderCount();
    await stack.stack.process('payments').stop();
    const failed = await placeOrder(orderBody(), { 'idempotency-key': key });
    assert.equal(failed.status, 502, failed.body);
    stack.stack.process('payments').start();
    await stack.stack.process('payments').waitReady(30_000);
    const retried = await placeOrder(orderBody(), { 'idempotency-key': key });
    assert.equal(retried.status, 201, retried.body);
    const again = await placeOrder(orderBody(), { 'idempotency-key': key });
    assert.equal((JSON.parse(again.body) as PlacedOrder).id, (JSON.parse(retried.body) as PlacedOrder).id);
    assert.equal(await orderCount(), countBefore + 1);
  });
});
