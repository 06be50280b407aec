import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProductCache } from './product-cache';

test('concurrent misses share one load; entries expire after the TTL', async () => {
  let loads = 0;
  let now = 0;
  const cache = new ProductCache(
    async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return [{ id: 'p-001', name: 'x', description: '', priceCents: 1, currency: 'EUR' as const }];
    },
    1000,
    () => now,
  );
  await Promise.all([cache.all(), cache.all(), cache.all()]);
  assert.equal(loads, 1);
  now = 999;
  await cache.all();
  assert.equal(loads, 1);
  now = 1001;
  await cache.byId('p-001');
  assert.equal(loads, 2);
});
