import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from './manifests.js';
import { buildReport, formatReport, readRun, slowestTraces, type VariantRow } from './report.js';

const RUN = join(__dirname, 'fixtures', 'run');
const rows = (): Map<string, VariantRow> => new Map(buildReport(readRun(RUN), 'http://localhost:16686').map((r) => [r.variant, r]));

describe('the QoS experiment table', () => {
  it('has one row per worker variant, with the class Kubernetes reported, Guaranteed first', () => {
    const report = buildReport(readRun(RUN), 'http://localhost:16686');
    assert.deepEqual(
      report.map((r) => [r.variant, r.qosClass]),
      [
        ['worker-guaranteed', 'Guaranteed'],
        ['worker-burstable', 'Burstable'],
        ['worker-besteffort', 'BestEffort'],
      ],
    );
  });

  it('counts restarts during the run, not before it', () => {
    const r = rows();
    assert.equal(r.get('worker-guaranteed')?.restarts, 2, 'restartCount went from 1 to 3');
    assert.equal(r.get('worker-burstable')?.restarts, 1);
    assert.equal(r.get('worker-besteffort')?.restarts, 0, 'an evicted pod is replaced, not restarted');
  });

  it('counts each OOM kill once, by container id, ignoring kills before the run', () => {
    const r = rows();
    assert.equal(r.get('worker-guaranteed')?.oomKills, 2);
    assert.equal(r.get('worker-burstable')?.oomKills, 1);
    assert.equal(r.get('worker-besteffort')?.oomKills, 0);
  });

  it('counts evictions from pod status and from events, once per pod', () => {
    const r = rows();
    assert.equal(r.get('worker-besteffort')?.evictions, 2, 'ccccc (status and event) and eeeee (event only)');
    assert.equal(r.get('worker-besteffort')?.pods, 2);
    assert.equal(r.get('worker-guaranteed')?.evictions, 0);
  });

  it('computes the throttled share from CFS periods, and marks containers without a quota', () => {
    const r = rows();
    assert.equal(r.get('worker-guaranteed')?.throttledShare, 450 / 1200);
    assert.equal(r.get('worker-burstable')?.throttledShare, null);
    assert.equal(r.get('worker-burstable')?.cfsPeriods, 0);
  });

  it('takes p95 latency and failures per class from the k6 summary', () => {
    const g = rows().get('worker-guaranteed');
    assert.equal(g?.p95CpuMs, 412.4);
    assert.equal(g?.p95MemoryMs, 1200);
    assert.equal(g?.failedRate, 0.012);
  });

  it('links the slowest traces, slowest first', () => {
    const g = rows().get('worker-guaranteed');
    assert.deepEqual(
      g?.slowestTraces.map((t) => [t.traceId.slice(0, 4), t.durationMs]),
      [
        ['2cf7', 1520],
        ['3df7', 610],
        ['0af7', 412],
      ],
    );
    assert.equal(g?.slowestTraces[0]?.url, 'http://localhost:16686/trace/2cf7651916cd43dd8448eb211c80319e');
    assert.deepEqual(rows().get('worker-burstable')?.slowestTraces, []);
  });

  it('prints a table with every column', () => {
    const text = formatReport(buildReport(readRun(RUN), 'http://jaeger.example'));
    assert.match(text, /^VARIANT\s+QOS CLASS\s+RESTARTS\s+OOM KILLS\s+EVICTIONS\s+CPU THROTTLED\s+P95 CPU JOB\s+P95 MEMORY JOB\s+FAILED$/m);
    assert.match(text, /^worker-guaranteed\s+Guaranteed\s+2\s+2\s+0\s+37\.5%\s+412ms\s+1\.20s\s+1\.2%$/m);
    assert.match(text, /^worker-burstable\s+Burstable\s+1\s+1\s+0\s+no limit\s+58ms/m);
    assert.match(text, /1\.52s\s+http:\/\/jaeger\.example\/trace\/2cf7/);
  });
});

describe('partial and bad run directories', () => {
  it('leaves columns empty when optional sources are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qos-run-'));
    try {
      cpSync(join(RUN, 'pods-0001.json'), join(dir, 'pods-0001.json'));
      const [g] = buildReport(readRun(dir), 'http://x');
      assert.equal(g?.throttledShare, null);
      assert.equal(g?.p95CpuMs, null);
      assert.match(formatReport([g as VariantRow]), /worker-guaranteed\s+Guaranteed\s+0\s+0\s+0\s+-\s+-\s+-\s+-/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory without pod snapshots, or broken JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qos-run-'));
    try {
      assert.throws(() => readRun(dir), InputError);
      writeFileSync(join(dir, 'pods-0001.json'), '{ not json');
      assert.throws(() => readRun(dir), /pods-0001\.json: not valid JSON/);
      writeFileSync(join(dir, 'pods-0001.json'), JSON.stringify({ kind: 'List', items: [] }));
      assert.throws(() => buildReport(readRun(dir), 'http://x'), /no QoS-lab worker pods/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores spans without timing in Jaeger answers', () => {
    assert.deepEqual(slowestTraces({ data: [{ traceID: 'a', spans: [{ spanID: 'x' }] }] }, 'http://x'), []);
  });
});
