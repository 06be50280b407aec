import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from './index';

test('serves the wire protocol to the pg driver and keeps data across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
  try {
    let postgres = await startEmbeddedPostgres({ dataDir });
    let client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query('CREATE TABLE t (id int primary key, note text)');
    await client.query('INSERT INTO t VALUES ($1, $2)', [1, 'kept']);
    await client.end();
    await postgres.stop();

    postgres = await startEmbeddedPostgres({ dataDir });
    client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const { rows } = await client.query('SELECT note FROM t WHERE id = 1');
    assert.deepEqual(rows, [{ note: 'kept' }]);
    await client.end();
    await postgres.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
