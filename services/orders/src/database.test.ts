import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withPassword } from './database';

test('a password from DATABASE_PASSWORD_FILE goes into the connection string, encoded', () => {
  assert.equal(withPassword('postgres://shop@postgres:5432/shop', 'p@ss/w:rd'), 'postgres://shop:p%40ss%2Fw%3Ard@postgres:5432/shop');
  assert.equal(withPassword('postgres://shop:old@postgres:5432/shop', 'new'), 'postgres://shop:new@postgres:5432/shop');
  assert.equal(withPassword('postgres://shop@postgres/shop', undefined), 'postgres://shop@postgres/shop');
});
