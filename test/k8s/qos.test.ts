// The QoS classes of everything the cluster runs, computed by the qos CLI: the three workers are
// Guaranteed, Burstable and BestEffort, and every other workload is the class its
// qoslab.dev/expected-qos-class annotation (next to the comment that explains it) claims.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deployed, deployedText, podTemplate } from './support';
import { repoRoot } from '@qoslab/native-stack';

const cli = join(repoRoot, 'tools', 'qos', 'src', 'cli.ts');
const qos = (args: string[], input: string) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { input, encoding: 'utf8', cwd: repoRoot });
const input = (): string => deployedText();

interface Template {
  kind: string;
  namespace?: string;
  name: string;
  qosClass: string;
  expectedClass?: string;
  containers: { oomScoreAdj: number; cpuQuota: number | null }[];
}

describe('QoS classes of the shipped workloads (qos explain)', () => {
  it('gives the three workers the three classes', () => {
    const result = qos(['explain', '--json', '-'], input());
    assert.equal(result.status, 0, result.stderr);
    const templates = (JSON.parse(result.stdout) as { templates: Template[] }).templates;
    const worker = (variant: string) => templates.find((t) => t.namespace === 'qos-lab' && t.name === `worker-${variant}`);
    assert.equal(worker('guaranteed')?.qosClass, 'Guaranteed');
    assert.equal(worker('burstable')?.qosClass, 'Burstable');
    assert.equal(worker('besteffort')?.qosClass, 'BestEffort');
    assert.equal(worker('guaranteed')?.containers[0]?.oomScoreAdj, -997);
    assert.equal(worker('besteffort')?.containers[0]?.oomScoreAdj, 1000);
    assert.notEqual(worker('guaranteed')?.containers[0]?.cpuQuota, null, 'only the Guaranteed worker has a CPU limit');
    assert.equal(worker('burstable')?.containers[0]?.cpuQuota, null);
  });

  it('finds every other workload in the class its annotation claims (qos explain --check)', () => {
    const result = qos(['explain', '--check', '-'], input());
    assert.equal(result.status, 0, result.stderr);
    const annotated = deployed().filter((o) => podTemplate(o)?.metadata?.annotations?.['qoslab.dev/expected-qos-class']);
    const templates = deployed().filter((o) => podTemplate(o) !== undefined);
    assert.equal(annotated.length, templates.length, 'every pod template states its class');
  });

  it('gives no CPU limit to anything but the Guaranteed worker (CPU request without limit by default)', () => {
    const templates = (JSON.parse(qos(['explain', '--json', '-'], input()).stdout) as { templates: Template[] }).templates;
    const limited = templates.filter((t) => t.containers.some((c) => c.cpuQuota !== null)).map((t) => t.name);
    assert.deepEqual(limited, ['worker-guaranteed']);
  });

  it('sets memory request = limit everywhere except the two workers that show the alternatives', () => {
    for (const obj of deployed()) {
      const template = podTemplate(obj);
      if (template === undefined || ['worker-burstable', 'worker-besteffort'].includes(obj.metadata.name)) continue;
      for (const c of template.spec.containers) {
        assert.ok(c.resources?.limits?.memory, `${obj.metadata.name}/${c.name} has a memory limit`);
        assert.equal(c.resources.requests?.memory, c.resources.limits.memory, `${obj.metadata.name}/${c.name}`);
        assert.ok(c.resources.requests?.cpu, `${obj.metadata.name}/${c.name} has a CPU request`);
      }
    }
  });
});

describe('docs/qos.md', () => {
  it('shows the output qos explain really prints for the workers', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'qos.md'), 'utf8');
    const command = '$ node tools/qos/dist/cli.js explain k8s/components/qos-lab/workers.yaml\n';
    const start = doc.indexOf(command);
    assert.ok(start >= 0, 'the example is in the doc');
    const shown = doc.slice(start + command.length, doc.indexOf('```', start));
    const result = qos(['explain', 'k8s/components/qos-lab/workers.yaml'], '');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(shown, result.stdout);
  });
});
