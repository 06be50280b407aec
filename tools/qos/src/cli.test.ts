import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main, type Io } from './cli.js';
import type { ExplainReport } from './explain.js';

const LAB = join(__dirname, 'fixtures', 'lab.yaml');

function run(args: string[], stdin = ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), readStdin: () => stdin };
  const code = main(args, io);
  return { code, out, err };
}

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'qos-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('qos explain', () => {
  it('prints each template with its class, oom_score_adj and cgroup values', () => {
    const { code, out, err } = run(['explain', LAB]);
    assert.equal(code, 0, err);
    assert.match(out, /^Deployment lab\/guaranteed: Guaranteed \(as annotated\)$/m);
    assert.match(out, /^Deployment lab\/burstable: Burstable \(as annotated\)$/m);
    assert.match(out, /^Deployment lab\/besteffort: BestEffort \(as annotated\)$/m);
    assert.match(out, /^\s+worker\s+container\s+500m\s+500m\s+256Mi\s+256Mi\s+-997\s+512\s+59 \(20 old runc\)\s+50000 100000\s+256Mi$/m);
    assert.match(out, /^\s+worker\s+container\s+250m\s+-\s+128Mi\s+512Mi\s+985\s+256\s+35 \(10 old runc\)\s+max\s+512Mi$/m);
    assert.match(out, /^\s+worker\s+container\s+-\s+-\s+-\s+-\s+1000\s+2\s+1\s+max\s+max$/m);
    assert.doesNotMatch(out, /Namespace/);
  });

  it('prints JSON with --json, and scales oom_score_adj with --node-memory', () => {
    const { code, out } = run(['explain', '--json', '--node-memory', '4Gi', LAB]);
    assert.equal(code, 0);
    const report = JSON.parse(out) as ExplainReport;
    assert.equal(report.nodeMemoryBytes, 4 * 1024 ** 3);
    const burstable = report.templates.find((t) => t.name === 'burstable');
    assert.equal(burstable?.qosClass, 'Burstable');
    assert.equal(burstable?.containers[0]?.oomScoreAdj, 969, '1000 - 1000 * 128Mi / 4Gi = 968.75 -> 969 (31 truncated)');
    assert.equal(burstable?.containers[0]?.cpuQuota, null);
    assert.equal(burstable?.pod.memoryMax, 512 * 1024 ** 2);
  });

  it('reads stdin', () => {
    const { code, out } = run(['explain', '-'], 'kind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c }] }\n');
    assert.equal(code, 0);
    assert.match(out, /Pod p: BestEffort/);
  });

  it('--check passes when every template has its annotated class', () => {
    assert.equal(run(['explain', '--check', LAB]).code, 0);
  });

  it('--check fails on a mismatch and on a missing annotation', () => {
    const wrong = file('wrong.yaml', 'kind: Pod\nmetadata: { name: p, annotations: {} }\nspec:\n  containers: [{ name: c }]\n---\nkind: Deployment\nmetadata: { name: d }\nspec:\n  template:\n    metadata: { annotations: { qoslab.dev/expected-qos-class: Guaranteed } }\n    spec: { containers: [{ name: c, resources: { requests: { cpu: 1 } } }] }\n');
    const { code, err } = run(['explain', '--check', wrong]);
    assert.equal(code, 1);
    assert.match(err, /Pod p has no qoslab\.dev\/expected-qos-class annotation \(it is BestEffort\)/);
    assert.match(err, /Deployment d is Burstable, annotated Guaranteed/);
  });
});

describe('bad input: one line on stderr, exit 2', () => {
  const bad = (args: string[], pattern: RegExp, stdin = ''): void => {
    const { code, out, err } = run(args, stdin);
    assert.equal(code, 2, err);
    assert.equal(out, '');
    assert.match(err, pattern);
    assert.equal(err.trimEnd().split('\n').length, 1, `one line: ${err}`);
    assert.doesNotMatch(err, /\n\s+at /);
  };

  it('unreadable YAML', () => bad(['explain', file('a.yaml', 'kind: Pod\n  - broken: [\n')], /^qos: .*a\.yaml: not valid YAML/));
  it('no objects at all', () => bad(['explain', file('empty.yaml', '# nothing\n')], /^qos: no Kubernetes objects in the input$/m));
  it('non-workload objects only', () =>
    bad(['explain', file('cm.yaml', 'kind: ConfigMap\nmetadata: { name: a }\n---\nkind: Service\nmetadata: { name: b }\n')], /^qos: no workloads with a pod template in the input \(found only: ConfigMap, Service\)$/m));
  it('a bad quantity', () =>
    bad(['explain', '-'], /^qos: stdin: Pod p: spec\.containers\[c\]\.resources\.requests\.memory: "1.5.5Gi" is not a valid quantity/, 'kind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c, resources: { requests: { memory: 1.5.5Gi } } }] }\n'));
  it('a missing file', () => bad(['explain', '/nonexistent.yaml'], /^qos: \/nonexistent\.yaml: no such file or directory$/m));
  it('a bad --node-memory', () => bad(['explain', '--node-memory', 'lots', LAB], /^qos: --node-memory: "lots" is not a valid quantity/));
  it('an unknown option', () => bad(['explain', '--frobnicate', LAB], /^qos: Unknown option '--frobnicate'/));
  it('no paths', () => bad(['explain'], /^qos: explain needs at least one file/));
  it('an unknown command', () => bad(['frobnicate'], /^qos: unknown command "frobnicate"/));
  it('a report without a run directory', () => bad(['report', '/nonexistent-run'], /^qos: \/nonexistent-run: no such directory$/m));

  it('holds for the real process too: exit status 2 and no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'cli.ts'), 'explain', '-'], {
      input: 'kind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c, resources: { limits: { cpu: 12Q } } }] }\n',
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^qos: stdin: Pod p: .*limits\.cpu: "12Q" is not a valid quantity/);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1);
  });
});

describe('qos report', () => {
  it('prints the table of a run directory, or JSON', () => {
    const run1 = run(['report', join(__dirname, 'fixtures', 'run')]);
    assert.equal(run1.code, 0, run1.err);
    assert.match(run1.out, /^worker-besteffort\s+BestEffort\s+0\s+0\s+2\s+no limit/m);
    const run2 = run(['report', '--json', '--jaeger-ui', 'http://j:1', join(__dirname, 'fixtures', 'run')]);
    const { rows, findings } = JSON.parse(run2.out) as { rows: { variant: string; slowestTraces: { url: string }[] }[]; findings: { evictions: unknown[] } };
    assert.equal(rows[0]?.slowestTraces[0]?.url.startsWith('http://j:1/trace/'), true);
    assert.ok(Array.isArray(findings.evictions));
  });
});
