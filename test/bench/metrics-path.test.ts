// Keeps the remote-write-or-OTLP benchmark working: runs it in quick mode and checks what does not
// depend on the machine: both paths delivered the same request into their Prometheus, nothing was
// lost, and every figure is there. No timing is asserted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isSpread } from '@qoslab/bench/lib/stats';
import { repoRoot } from '@qoslab/native-stack';

const dir = mkdtempSync(join(tmpdir(), 'qoslab-metrics-path-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/metrics-path.ts --quick', () => {
  const out = join(dir, 'results.json');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'metrics-path.ts'), '--quick', '--out', out], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });

  test('completes and writes its results', () => {
    assert.equal(run.status, 0, run.stderr);
  });

  test('both paths store the same samples and series, and lose nothing', () => {
    const results = JSON.parse(readFileSync(out, 'utf8'));
    assert.ok(results.requests > 0);
    assert.equal(results.refusedRequests, 0);
    const { 'remote-write': rw, otlp } = results.stored;
    assert.ok(rw.samples > 0 && rw.series > 0, JSON.stringify(rw));
    assert.equal(otlp.samples, rw.samples, 'the same requests, the same samples');
    assert.equal(otlp.series, rw.series);
    assert.deepEqual(results.stored.metricNamesOnlyByRemoteWrite, []);
    assert.deepEqual(results.stored.metricNamesOnlyByOtlp, []);
    for (const path of ['remote-write', 'otlp']) {
      assert.ok(results.exporters[path].sentPoints > 0, path);
      assert.equal(results.exporters[path].failedPoints, 0, path);
    }
  });

  test('every process has its CPU, memory and CPU per sample', () => {
    const results = JSON.parse(readFileSync(out, 'utf8'));
    for (const name of ['prometheus-remote-write', 'prometheus-otlp', 'otel-collector-remote-write', 'otel-collector-otlp']) {
      for (const field of ['cores', 'rssMiB', 'cpuSecondsPerMillionSamples']) assert.ok(isSpread(results.summary[name][field]), `${name} ${field}`);
    }
  });
});
