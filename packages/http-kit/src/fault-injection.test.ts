import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from './errors';
import { parseFaultHeader } from './fault-injection';

test('parses several services and settings', () => {
  assert.deepEqual(parseFaultHeader('payments:delay=3000; catalog:status=503,delay=10'), [
    { service: 'payments', delayMs: 3000 },
    { service: 'catalog', status: 503, delayMs: 10 },
  ]);
});

for (const bad of ['payments', 'payments:delay', 'payments:delay=-1', 'payments:status=200', 'payments:explode=1', 'p:delay=999999', 'X:delay=1']) {
  test(`rejects "${bad}" with a validation error`, () => {
    assert.throws(() => parseFaultHeader(bad), ValidationError);
  });
}
