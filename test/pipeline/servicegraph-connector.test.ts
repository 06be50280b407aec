// The kit's servicegraph connector (otel-collector/servicegraphconnector) is Go code built into the
// Collector; its unit tests pair spans, bound the store and expire edges without a running Collector.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot } from '@qoslab/native-stack';
import { run } from './support';

test('the servicegraph connector unit tests pass', () => {
  const result = run('go', ['test', '-count=1', './...'], {
    env: { ...process.env, GOFLAGS: '-buildvcs=false' },
    timeoutMs: 600_000,
    cwd: join(repoRoot, 'otel-collector', 'servicegraphconnector'),
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^ok\s+qoslab\.local\/otelcol\/servicegraphconnector/m);
});
