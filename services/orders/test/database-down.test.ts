import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEmbeddedPostgres } from '@qoslab/embedded-postgres';
import { createLogger } from '@qoslab/logger';
import request from 'supertest';
import { createPool, isUnavailable } from '../src/database';
import { type Harness, orderBody, startHarness } from './support';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

test('with the database gone, orders answers 503 problems and readiness fails', async () => {
  assert.equal((await request(h.app).get('/readyz')).status, 200);
  await h.postgres.stop();
  const placed = await request(h.app).post('/orders').send(orderBody());
  assert.equal(placed.status, 503, JSON.stringify(placed.body));
  assert.match(String(placed.headers['content-type']), /problem\+json/);
  assert.equal((await request(h.app).get('/orders/6f1c2a36-8d7e-4a4b-9d55-0c8c2f5f2f11')).status, 503);
  assert.equal((await request(h.app).get('/readyz')).status, 503);
  assert.equal((await request(h.app).get('/healthz')).status, 200);
});

test('a connection lost while a transaction holds it fails that query, not the process', async () => {
  const postgres = await startEmbeddedPostgres();
  const pool = createPool({ url: postgres.url, max: 1, queryTimeoutMs: 2000 }, createLogger({ service: 'orders', level: 'silent' }));
  const client = await pool.connect();
  await client.query('BEGIN');
  const pending = client.query('SELECT pg_sleep(1)').then(
    () => undefined,
    (error: unknown) => error,
  );
  await postgres.stop();
  const error = await pending;
  assert.ok(isUnavailable(error), `the query failed with ${String(error)}`);
  client.release(true);
  await pool.end();
});
