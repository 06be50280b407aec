import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Readiness } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import request from 'supertest';
import { createApp } from '../src/app';
import { PaymentProvider } from '../src/provider';
import { assertProblem } from '@qoslab/http-kit/testing';
import { PROBLEM_TYPES } from '@qoslab/contracts';

function build(failureRate = 0) {
  const readiness = new Readiness();
  readiness.markReady();
  return createApp({
    logger: createLogger({ service: 'payments', level: 'silent' }),
    readiness,
    provider: new PaymentProvider({ latencyMs: 1, failureRate }),
    faultInjectionEnabled: true,
  });
}

const card = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };
const charge = (overrides: object = {}) => ({ orderId: randomUUID(), amountCents: 2598, currency: 'EUR', card, ...overrides });

test('approves a charge and returns only the last four digits', async () => {
  const response = await request(build()).post('/charges').send(charge());
  assert.equal(response.status, 201);
  assert.equal(response.body.status, 'approved');
  assert.equal(response.body.cardLast4, '4242');
  assert.ok(!JSON.stringify(response.body).includes('4242424242424242'));
});

test('a retried charge for the same order is not charged twice', async () => {
  const app = build();
  const body = charge();
  const [first, second] = await Promise.all([request(app).post('/charges').send(body), request(app).post('/charges').send(body)]);
  assert.deepEqual([first.status, second.status].sort(), [200, 201]);
  assert.equal(first.body.chargeId, second.body.chargeId);
});

test('the decline test card and the failure rate give 402', async () => {
  assertProblem(await request(build()).post('/charges').send(charge({ card: { ...card, number: '4000000000000002' } })), 402, PROBLEM_TYPES.paymentDeclined);
  assertProblem(await request(build(1)).post('/charges').send(charge()), 402, PROBLEM_TYPES.paymentDeclined);
});

for (const [name, body] of [
  ['no card', charge({ card: undefined })],
  ['bad Luhn', charge({ card: { ...card, number: '4242424242424241' } })],
  ['amount as string', charge({ amountCents: '10' })],
  ['negative amount', charge({ amountCents: -1 })],
  ['other currency', charge({ currency: 'USD' })],
  ['extra field', charge({ tip: 1 })],
  ['bad order id', charge({ orderId: '1' })],
] as const) {
  test(`POST /charges: ${name} is a 400`, async () => {
    assertProblem(await request(build()).post('/charges').send(body), 400, PROBLEM_TYPES.validation);
  });
}

test('injected provider error is honoured when enabled', async () => {
  assertProblem(await request(build()).post('/charges').set('x-fault-inject', 'payments:status=503').send(charge()), 503);
});
