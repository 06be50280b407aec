// A shopper's journey through the gateway: browse the products, view one, place an order with an
// Idempotency-Key, then fetch the order and check it is the one placed. REPLAY_RATIO of the journeys
// send the same order again with the same key and check the shop returns the first order, not a new one.
//
//   BASE_URL      the gateway (default http://127.0.0.1:8080)
//   LOAD_SHAPE    smoke | average | stress | spike | soak (LOAD_VUS, LOAD_DURATION override the shape)
//   THINK_TIME    seconds a shopper pauses between steps, on average (default 1; 0 for none)
//   REPLAY_RATIO  share of journeys that replay their order (default 0.1): the answer must be the
//                 first order (201, header Idempotent-Replayed: true), not a second one
import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { baseUrl, envNumber } from './lib/config.js';
import { json, lastTraceId, randomHex, send } from './lib/http.js';
import { buildOptions, latency } from './lib/options.js';
import { loadShape, vuScenario } from './lib/shapes.js';
import { summaryHandler } from './lib/summary.js';

const BASE_URL = baseUrl();
const shape = loadShape();
const THINK_TIME = envNumber('THINK_TIME', 1, { max: 60 });
const REPLAY_RATIO = envNumber('REPLAY_RATIO', 0.1, { max: 1 });

const journeyDuration = new Trend('shop_journey_duration', true);
const ordersPlaced = new Counter('shop_orders_placed');

export const options = buildOptions({
  scenarios: { shop_journey: vuScenario(shape, { exec: 'journey' }) },
  thresholds: {
    'http_req_duration{step:list-products}': latency(300, 800),
    'http_req_duration{step:view-product}': latency(300, 800),
    'http_req_duration{step:place-order}': latency(1000, 2000),
    'http_req_duration{step:get-order}': latency(300, 800),
    'checks{step:place-order}': ['rate>0.99'],
    shop_journey_duration: latency(2000, 4000),
    shop_orders_placed: ['count>0'],
  },
});

const CARD = { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' };

export function setup() {
  // A traced request (probes such as /healthz make no spans), so the probe's trace is in Jaeger.
  const response = send('GET', `${BASE_URL}/api/products`, { tags: { step: 'setup' } });
  if (response.status === 0) {
    exec.test.abort(`cannot reach the gateway at BASE_URL=${BASE_URL} (${response.error}); is the stack running?`);
  }
  // In the JSON summary (`setup`): one request whose trace can be looked up right after the run.
  return { probe: { step: 'setup', status: response.status, traceId: lastTraceId() } };
}

function think() {
  if (THINK_TIME > 0) sleep(THINK_TIME * (0.5 + Math.random()));
}

function listProducts() {
  const tags = { step: 'list-products' };
  const response = send('GET', `${BASE_URL}/api/products`, { tags });
  const products = json(response)?.products;
  check(
    response,
    {
      'list products: status 200': (r) => r.status === 200,
      'list products: has products': () => Array.isArray(products) && products.length > 0,
    },
    tags,
  );
  return Array.isArray(products) ? products : [];
}

function viewProduct(id) {
  const tags = { step: 'view-product' };
  const response = send('GET', `${BASE_URL}/api/products/${id}`, { tags, name: `${BASE_URL}/api/products/:id` });
  const product = json(response);
  check(
    response,
    {
      'view product: status 200': (r) => r.status === 200,
      'view product: is the product asked for': () => product?.id === id && typeof product.priceCents === 'number',
    },
    tags,
  );
  return response.status === 200 ? product : undefined;
}

function placeOrder(order, key, tags) {
  const response = send('POST', `${BASE_URL}/api/orders`, {
    body: order,
    headers: { 'Idempotency-Key': key },
    tags,
    expect: [201],
  });
  return { response, placed: json(response) };
}

function orderMatches(placed, order) {
  return (
    typeof placed?.id === 'string' &&
    placed.status === 'confirmed' &&
    Array.isArray(placed.items) &&
    placed.items.length === order.items.length &&
    placed.items.every((item, index) => item.productId === order.items[index].productId && item.quantity === order.items[index].quantity)
  );
}

export function journey() {
  const started = Date.now();
  let thinking = 0;
  const pause = () => {
    const before = Date.now();
    think();
    thinking += Date.now() - before;
  };

  // A failed step ends the journey after the usual pause, as a shopper would, so a broken shop is
  // not hammered in a tight loop.
  const products = group('browse', () => listProducts()).filter((product) => product.stock > 0);
  pause();
  if (products.length === 0) return;

  const chosen = products[Math.floor(Math.random() * products.length)];
  const product = group('view', () => viewProduct(chosen.id));
  pause();
  if (!product) return;

  const order = {
    customer: { email: `shopper-${exec.vu.idInTest}@example.com` },
    items: [{ productId: product.id, quantity: 1 + Math.floor(Math.random() * 3) }],
    payment: { card: CARD },
  };
  const key = `k6-${randomHex(12)}`;
  const placed = group('order', () => {
    const tags = { step: 'place-order' };
    const { response, placed } = placeOrder(order, key, tags);
    const ok = check(
      response,
      {
        'place order: status 201': (r) => r.status === 201,
        'place order: confirmed with the items ordered': () => orderMatches(placed, order),
        'place order: total is the price times the quantity': () => placed?.totalCents === product.priceCents * order.items[0].quantity,
      },
      tags,
    );
    if (!ok) return undefined;
    ordersPlaced.add(1);
    if (Math.random() < REPLAY_RATIO) {
      const replayTags = { step: 'replay-order' };
      const replay = placeOrder(order, key, replayTags);
      check(
        replay.response,
        {
          'replay order: status 201': (r) => r.status === 201,
          'replay order: marked as a replay': (r) => r.headers['Idempotent-Replayed'] === 'true',
          'replay order: same order, not a new one': () => replay.placed?.id === placed.id,
        },
        replayTags,
      );
    }
    return placed;
  });
  pause();
  if (!placed) return;

  group('check order', () => {
    const tags = { step: 'get-order' };
    const response = send('GET', `${BASE_URL}/api/orders/${placed.id}`, { tags, name: `${BASE_URL}/api/orders/:id` });
    const fetched = json(response);
    check(
      response,
      {
        'get order: status 200': (r) => r.status === 200,
        'get order: is the order placed': () => fetched?.id === placed.id && orderMatches(fetched, order),
      },
      tags,
    );
  });

  journeyDuration.add(Date.now() - started - thinking);
}

export const handleSummary = summaryHandler({
  script: 'shop-journey',
  shape: { name: shape.name, vus: shape.vus, stages: shape.stages },
  target: { baseUrl: BASE_URL },
});
