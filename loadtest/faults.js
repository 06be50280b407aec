// Fault scenarios through the gateway, using the services' fault injection (the `x-fault-inject`
// header; the services honour it only with FAULT_INJECTION_ENABLED=true). Each iteration runs every
// case and checks the status the gateway maps the fault to, the problem+json body, and that the shop
// answers normally again right after.
//
//   BASE_URL            the gateway (default http://127.0.0.1:8080)
//   GATEWAY_TIMEOUT_MS  the gateway's UPSTREAM_TIMEOUT_MS (default 5000)
//   ORDERS_TIMEOUT_MS   the orders service's UPSTREAM_TIMEOUT_MS (default 2000)
//   FAULT_MARGIN_MS     how far past a timeout an injected delay goes (default 1000)
import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { baseUrl, envNumber } from './lib/config.js';
import { isProblem, json, randomHex, send } from './lib/http.js';
import { buildOptions, latency } from './lib/options.js';
import { loadShape, vuScenario } from './lib/shapes.js';
import { summaryHandler } from './lib/summary.js';

const BASE_URL = baseUrl();
const shape = loadShape();
const GATEWAY_TIMEOUT_MS = envNumber('GATEWAY_TIMEOUT_MS', 5000, { min: 1 });
const ORDERS_TIMEOUT_MS = envNumber('ORDERS_TIMEOUT_MS', 2000, { min: 1 });
const FAULT_MARGIN_MS = envNumber('FAULT_MARGIN_MS', 1000, { min: 100 });

const CARD = { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' };

/**
 * The cases: the request, the fault, and the answer the gateway must give: its status, the problem
 * type, and for upstream problems which dependency the gateway blames. The mapping (docs/architecture.md)
 * is per hop: a timeout is a 504 where it happens, and the caller of a service that answered 5xx
 * answers 502. So a slow payments service makes orders answer 504, and the gateway, seeing a 5xx
 * from orders, answers 502; the gateway itself answers 504 only when its own call times out.
 */
const CASES = [
  {
    name: 'catalog-error',
    fault: 'catalog:status=500',
    request: products,
    status: 502,
    type: '/problems/upstream-error',
    upstream: 'catalog',
  },
  {
    name: 'catalog-timeout',
    fault: `catalog:delay=${GATEWAY_TIMEOUT_MS + FAULT_MARGIN_MS}`,
    request: products,
    status: 504,
    type: '/problems/upstream-timeout',
    upstream: 'catalog',
  },
  {
    name: 'payments-error',
    fault: 'payments:status=503',
    request: order,
    status: 502,
    type: '/problems/upstream-error',
    upstream: 'orders',
  },
  {
    name: 'payments-timeout',
    fault: `payments:delay=${ORDERS_TIMEOUT_MS + FAULT_MARGIN_MS}`,
    request: order,
    status: 502,
    type: '/problems/upstream-error',
    upstream: 'orders',
    body: (problem) => typeof problem?.detail === 'string' && problem.detail.includes('504'),
  },
  {
    name: 'orders-timeout',
    fault: `orders:delay=${GATEWAY_TIMEOUT_MS + FAULT_MARGIN_MS}`,
    request: order,
    status: 504,
    type: '/problems/upstream-timeout',
    upstream: 'orders',
  },
  {
    name: 'gateway-status',
    fault: 'gateway:status=503',
    request: products,
    status: 503,
    type: '/problems/injected-fault',
  },
  {
    name: 'invalid-header',
    fault: 'gateway:explode=now',
    request: products,
    status: 400,
    type: '/problems/validation',
    body: (problem) => Array.isArray(problem?.errors) && problem.errors.some((error) => error.path === 'header.x-fault-inject'),
  },
];

function products(headers, tags, expect) {
  return send('GET', `${BASE_URL}/api/products`, { headers, tags, expect });
}

function order(headers, tags, expect) {
  const body = { customer: { email: 'faults@example.com' }, items: [{ productId: 'p-001', quantity: 1 }], payment: { card: CARD } };
  return send('POST', `${BASE_URL}/api/orders`, {
    body,
    headers: { ...headers, 'Idempotency-Key': `k6-fault-${randomHex(12)}` },
    tags,
    expect,
  });
}

function thresholds() {
  const all = {
    // Right after a fault, a clean request must work: faults are per request, never sticky.
    'checks{fault:none}': ['rate>0.99'],
  };
  for (const faultCase of CASES) {
    all[`checks{fault:${faultCase.name}}`] = ['rate>0.99'];
  }
  // A failing dependency is reported at once, not after a timeout.
  all['http_req_duration{fault:catalog-error}'] = latency(500);
  all['http_req_duration{fault:payments-error}'] = latency(1000);
  // A slow dependency is cut off at the caller's timeout, before the injected delay ends.
  all['http_req_duration{fault:catalog-timeout}'] = [`max<${GATEWAY_TIMEOUT_MS + FAULT_MARGIN_MS}`];
  all['http_req_duration{fault:payments-timeout}'] = [`max<${ORDERS_TIMEOUT_MS + FAULT_MARGIN_MS}`];
  all['http_req_duration{fault:orders-timeout}'] = [`max<${GATEWAY_TIMEOUT_MS + FAULT_MARGIN_MS}`];
  return all;
}

export const options = buildOptions({
  scenarios: { faults: vuScenario(shape, { exec: 'faults' }) },
  thresholds: {
    ...thresholds(),
    // Timeout cases take as long as the timeouts on purpose.
    http_req_duration: [`p(99)<${GATEWAY_TIMEOUT_MS + FAULT_MARGIN_MS}`],
  },
});

export function setup() {
  const response = products({ 'x-fault-inject': 'gateway:status=418' }, { step: 'setup' }, [200, 418]);
  if (response.status === 0) {
    exec.test.abort(`cannot reach the gateway at BASE_URL=${BASE_URL} (${response.error}); is the stack running?`);
  }
  if (response.status !== 418) {
    exec.test.abort(`fault injection is off at BASE_URL=${BASE_URL}: start the services with FAULT_INJECTION_ENABLED=true`);
  }
  return { faultInjection: true };
}

export function faults() {
  for (const faultCase of CASES) {
    group(faultCase.name, () => {
      const tags = { fault: faultCase.name, step: faultCase.request.name };
      const response = faultCase.request({ 'x-fault-inject': faultCase.fault }, tags, [faultCase.status]);
      const problem = json(response);
      // Check names are per group (the case), so they repeat across cases.
      const checks = {
        [`status ${faultCase.status}`]: (r) => r.status === faultCase.status,
        'problem+json': (r) => isProblem(r, faultCase.status),
        [`problem type ${faultCase.type}`]: () => problem?.type === faultCase.type,
      };
      if (faultCase.upstream) checks[`blames ${faultCase.upstream}`] = () => problem?.upstream === faultCase.upstream;
      if (faultCase.body) checks['body details'] = () => faultCase.body(problem);
      check(response, checks, tags);

      const cleanTags = { fault: 'none', step: faultCase.request.name };
      const clean = faultCase.request({}, cleanTags, faultCase.request === order ? [201] : [200]);
      check(clean, { 'then the shop answers normally': (r) => r.status === 200 || r.status === 201 }, cleanTags);
    });
    sleep(0.2);
  }
}

export const handleSummary = summaryHandler({
  script: 'faults',
  shape: { name: shape.name, vus: shape.vus, stages: shape.stages },
  target: { baseUrl: BASE_URL, gatewayTimeoutMs: GATEWAY_TIMEOUT_MS, ordersTimeoutMs: ORDERS_TIMEOUT_MS },
});
