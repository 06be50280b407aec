import assert from 'node:assert/strict';
import { test } from 'node:test';
import { card, createOrder, lineItems } from './index';

const validCard = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

test('accepts a valid order', () => {
  assert.ok(createOrder.safeParse({ customer: { email: 'a@b.co' }, items: [{ productId: 'p-001', quantity: 1 }], payment: { card: validCard } }).success);
});

test('card numbers must pass the Luhn check', () => {
  assert.ok(!card.safeParse({ ...validCard, number: '4242424242424241' }).success);
  assert.ok(card.safeParse({ ...validCard, number: '4000000000000002' }).success);
});

test('line items: distinct products, bounded quantities, no extra fields', () => {
  assert.ok(!lineItems.safeParse([{ productId: 'p-001', quantity: 1 }, { productId: 'p-001', quantity: 2 }]).success);
  assert.ok(!lineItems.safeParse([{ productId: 'p-001', quantity: 11 }]).success);
  assert.ok(!lineItems.safeParse([{ productId: 'p-001', quantity: 1, price: 0 }]).success);
  assert.ok(!lineItems.safeParse([]).success);
});
