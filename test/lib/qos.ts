// What Kubernetes derives for the QoS lab's workers (k8s/components/qos-lab/workers.yaml), computed by
// the qos CLI: the suites compare it with what the container runtime really set.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@qoslab/native-stack';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `qos explain --json` (tools/qos) for the QoS lab's Kubernetes workers. */
interface ExplainedContainer {
  oomScoreAdj: number;
  cpuShares: number;
  cpuWeight: number;
  cpuWeightLegacy: number;
  cpuQuota: number | null;
  cpuPeriod: number;
  memoryMax: number | null;
}

export const LAB_NODE_MEMORY = '8Gi';
export const QOS_VARIANTS = ['guaranteed', 'burstable', 'besteffort'] as const;
export type QosVariant = (typeof QOS_VARIANTS)[number];

export type KubeletWorkers = Record<QosVariant, { qosClass: string; container: ExplainedContainer; env: Record<string, string> }>;
const explained = new Map<string, KubeletWorkers>();
/**
 * What the kubelet sets for each worker of k8s/components/qos-lab/workers.yaml on a node with
 * `nodeMemory` (computed by the qos CLI), and the worker container's plain environment values.
 */
export function kubeletWorkers(nodeMemory: string = LAB_NODE_MEMORY): KubeletWorkers {
  const known = explained.get(nodeMemory);
  if (known) return known;
  const manifest = join(repoRoot, 'k8s', 'components', 'qos-lab', 'workers.yaml');
  const cli = join(repoRoot, 'tools', 'qos', 'src', 'cli.ts');
  const report = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', cli, 'explain', '--json', '--node-memory', nodeMemory, manifest], { cwd: repoRoot, encoding: 'utf8' }),
  ) as { templates: { name: string; qosClass: string; containers: (ExplainedContainer & { name: string })[] }[] };
  const envs: Record<string, Record<string, string>> = {};
  for (const doc of parseAllDocuments(readFileSync(manifest, 'utf8'))) {
    const obj = doc.toJS() as Obj | null;
    if (obj?.kind !== 'Deployment') continue;
    const container = (obj.spec.template.spec.containers as Obj[]).find((c) => c.name === 'worker');
    const env: Record<string, string> = {};
    for (const entry of (container?.env ?? []) as Obj[]) if (typeof entry.value === 'string') env[entry.name as string] = entry.value as string;
    envs[obj.metadata.name as string] = env;
  }
  const out = {} as KubeletWorkers;
  for (const variant of QOS_VARIANTS) {
    const template = report.templates.find((t) => t.name === `worker-${variant}`);
    const container = template?.containers.find((c) => c.name === 'worker');
    if (!template || !container) throw new Error(`qos explain found no worker-${variant}`);
    out[variant] = { qosClass: template.qosClass, container, env: envs[`worker-${variant}`] ?? {} };
  }
  explained.set(nodeMemory, out);
  return out;
}

