// Property-based fuzzing of every route with malformed requests (test/reliability/malformed.ts): the
// answer is always a 4xx problem+json, the services stay up, and a rejected request writes nothing
// (no order row, no stock taken, no charge, no job run). In-process first (1,000 requests per route),
// then a smaller run against the started service processes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '@qoslab/http-kit/testing';
import fc from 'fast-check';
import { startInProcessShop, type InProcessShop } from '../lib/in-process-shop';
import { type Malformed, ROUTES, type Service } from './malformed';
import { problemOf, rawRequest, type RawResponse } from './support';
import { startTestStack, type TestStack } from '../lib/stack';

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 1000);
const PROCESS_RUNS_PER_ROUTE = 100;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

async function send(port: number, malformed: Malformed): Promise<RawResponse> {
  return rawRequest({ port, method: malformed.method, target: malformed.target, headers: malformed.headers, ...(malformed.body ? { body: malformed.body } : {}) });
}

function check(response: RawResponse, malformed: Malformed): void {
  const context = `${malformed.kind}: ${malformed.method} ${malformed.target.slice(0, 120)} (seed ${SEED})`;
  assert.ok(response.status >= 400 && response.status < 500, `${context}: answered ${response.status} ${response.body.slice(0, 300)}`);
  assertProblem(problemOf(response), response.status);
}

/** Runs the property for every route; returns how many requests each kind of malformation got. */
async function fuzzAll(ports: Record<Service, number>, runs: number, stillUp: (service: Service) => Promise<void>): Promise<Map<string, number>> {
  const kinds = new Map<string, number>();
  for (const { service, route, arbitrary } of ROUTES) {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (malformed) => {
        sent++;
        const kind = malformed.kind.replace(/ at .*| p-\d+.*/, '');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        check(await send(ports[service], malformed), malformed);
      }),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
    assert.ok(sent >= runs, `${route}: only ${sent} requests sent`);
    await stillUp(service);
  }
  return kinds;
}

describe('malformed requests against the in-process shop', () => {
  let shop: InProcessShop;
  before(async () => {
    shop = await startInProcessShop();
  });
  after(async () => shop?.close());

  test(`${RUNS_PER_ROUTE} per route: only 4xx problem+json, and nothing is written`, async (t) => {
    const stockBefore = stockSnapshot(shop);
    const kinds = await fuzzAll(shop.ports, RUNS_PER_ROUTE, async (service) => {
      const health = await rawRequest({ port: shop.ports[service], method: 'GET', target: '/healthz' });
      assert.equal(health.status, 200, `${service} stopped answering`);
    });
    const orders = await shop.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders');
    assert.equal(Number(orders.rows[0]?.n), 0, 'a rejected request left an order row');
    assert.deepEqual(stockSnapshot(shop), stockBefore, 'a rejected request took stock');
    assert.equal(shop.jobsRun(), 0, 'a rejected request ran a worker job');
    assert.equal(shop.chargesMade(), 0, 'a rejected request charged a card');
    const total = [...kinds.values()].reduce((sum, count) => sum + count, 0);
    t.diagnostic(`seed ${SEED}: ${total} requests on ${ROUTES.length} routes; by kind: ${JSON.stringify(Object.fromEntries(kinds))}`);
    // Every malformation family was exercised, not just the easiest one.
    for (const family of ['missing field', 'wrong type or value', 'extra field', 'bad JSON', 'huge body', 'huge header', 'path trick', 'raw odd id', 'bad query', 'bad Idempotency-Key', 'rejected product']) {
      assert.ok((kinds.get(family) ?? 0) > 0, `no "${family}" request was generated: ${[...kinds.keys()].join(', ')}`);
    }
  });
});

function stockSnapshot(shop: InProcessShop): Record<string, number | undefined> {
  return Object.fromEntries(Array.from({ length: 12 }, (_, i) => `p-${String(i + 1).padStart(3, '0')}`).map((id) => [id, shop.stock.stockOf(id)]));
}

describe('malformed requests against the service processes', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ only: ['otel-collector', 'postgres', 'catalog', 'payments', 'orders', 'gateway', 'worker'] });
  });
  after(async () => stack?.stop());

  const stockOf = async () => {
    const response = await fetch(stack.url('catalog', '/products'));
    const { products } = (await response.json()) as { products: { id: string; stock: number }[] };
    return Object.fromEntries(products.map((product) => [product.id, product.stock]));
  };
  const orderCount = async () => ((await (await fetch(stack.url('orders', '/orders?limit=100'))).json()) as { orders: unknown[] }).orders.length;

  test(`${PROCESS_RUNS_PER_ROUTE} per route: only 4xx problem+json, processes stay up, nothing is written`, async () => {
    const stockBefore = await stockOf();
    assert.equal(await orderCount(), 0);
    const ports = { gateway: stack.ports.gateway, catalog: stack.ports.catalog, orders: stack.ports.orders, payments: stack.ports.payments, worker: stack.ports.worker };
    await fuzzAll(ports, PROCESS_RUNS_PER_ROUTE, async (service) => {
      assert.ok(stack.stack.process(service).running, `${service} exited:\n${stack.stack.process(service).tail()}`);
      assert.equal((await fetch(stack.url(service, '/healthz'))).status, 200);
    });
    assert.equal(await orderCount(), 0, 'a rejected request left an order');
    assert.deepEqual(await stockOf(), stockBefore, 'a rejected request took stock');
    for (const service of ['gateway', 'catalog', 'orders', 'payments', 'worker']) {
      assert.doesNotMatch(stack.log(service), /unhandled promise rejection|"level":"(error|fatal)"/, `${service} logged an error for a bad request`);
    }
  });
});
