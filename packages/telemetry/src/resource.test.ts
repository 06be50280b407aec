import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerDetector } from '@opentelemetry/resource-detector-container';
import { envDetector, hostDetector } from '@opentelemetry/resources';
import { detectorsFromEnv, serviceVersion } from './resource';

test('OTEL_NODE_RESOURCE_DETECTORS: unset and "all" mean every detector, "none" none', () => {
  assert.equal(detectorsFromEnv(undefined).length, 6);
  assert.equal(detectorsFromEnv('all').length, 6);
  assert.deepEqual(detectorsFromEnv('none'), []);
  assert.deepEqual(detectorsFromEnv('env, host ,container'), [hostDetector, containerDetector, envDetector], 'env last: explicit attributes win');
  assert.deepEqual(detectorsFromEnv('bogus'), []);
});

test('service.version comes from the package.json above the entry point', () => {
  const root = mkdtempSync(join(tmpdir(), 'svc-'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3' }));
  assert.equal(serviceVersion(join(root, 'dist', 'main.js')), '1.2.3');
});
