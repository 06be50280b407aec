import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { commonConfig, ConfigError, env, loadConfig } from './config';

const schema = commonConfig({ port: 8081 }).extend({ CATALOG_URL: env.url });

test('applies defaults and coerces numbers and booleans', () => {
  const config = loadConfig(schema, { CATALOG_URL: 'http://localhost:8081', FAULT_INJECTION_ENABLED: 'true', PORT: '9000' });
  assert.equal(config.PORT, 9000);
  assert.equal(config.HOST, '0.0.0.0');
  assert.equal(config.FAULT_INJECTION_ENABLED, true);
  assert.equal(config.UPSTREAM_TIMEOUT_MS, 2000);
});

test('reports every invalid variable at once, without echoing values', () => {
  assert.throws(
    () => loadConfig(schema, { PORT: 'eighty', LOG_LEVEL: 'loud', CATALOG_URL: 'ftp://secret@x', FAULT_INJECTION_ENABLED: 'maybe' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const names = error.issues.map((issue) => issue.split(':')[0]).sort();
      assert.deepEqual(names, ['CATALOG_URL', 'FAULT_INJECTION_ENABLED', 'LOG_LEVEL', 'PORT']);
      assert.ok(!error.message.includes('secret'));
      return true;
    },
  );
});

test('a missing required variable is named', () => {
  assert.throws(() => loadConfig(z.object({ DATABASE_URL: z.string() }), {}), /DATABASE_URL/);
});
