/** `qos explain`: the QoS class, oom_score_adj and cgroup settings of every pod template. */
import {
  applyDefaults,
  computeQos,
  containerCgroup,
  isSidecar,
  oomScoreAdjust,
  podCgroup,
  type CgroupCpu,
  type ContainerInput,
  type QosClass,
  type ResourceList,
} from './qos.js';
import { formatBytes, formatCpu, value, type Quantity } from './quantity.js';
import type { PodTemplate } from './manifests.js';

/** Pod-template annotation that states the class a workload is meant to have. */
export const EXPECTED_CLASS_ANNOTATION = 'qoslab.dev/expected-qos-class';

export type ContainerType = 'container' | 'init' | 'sidecar';
type JsonNumber = number | string;

export interface ContainerReport {
  name: string;
  type: ContainerType;
  /** Requests and limits after API defaulting, as Kubernetes quantities. */
  requests: Record<string, string>;
  limits: Record<string, string>;
  oomScoreAdj: number;
  cpuShares: JsonNumber;
  cpuWeight: JsonNumber;
  cpuWeightLegacy: JsonNumber;
  /** cpu.max quota in microseconds; null means "max" (no CPU limit). */
  cpuQuota: JsonNumber | null;
  cpuPeriod: JsonNumber;
  /** memory.max in bytes; null means "max" (no memory limit). */
  memoryMax: JsonNumber | null;
}

export interface TemplateReport {
  source: string;
  kind: string;
  namespace?: string;
  name: string;
  qosClass: QosClass;
  reason: string;
  expectedClass?: string;
  matchesExpected?: boolean;
  reportedClass?: string;
  pod: { cpuShares: JsonNumber; cpuWeight: JsonNumber; cpuQuota: JsonNumber | null; cpuPeriod: JsonNumber; memoryMax: JsonNumber | null };
  containers: ContainerReport[];
}

export interface ExplainReport {
  nodeMemoryBytes: JsonNumber;
  templates: TemplateReport[];
}

const num = (n: bigint): JsonNumber => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : String(n));

function quantities(list: ResourceList | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, q] of [...(list ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[name] = name === 'cpu' ? formatCpu(q) : name === 'memory' || name.startsWith('hugepages-') || name === 'ephemeral-storage' ? formatBytes(q) : q.text;
  }
  return out;
}

function cgroupJson(c: CgroupCpu): TemplateReport['pod'] {
  return {
    cpuShares: num(c.shares),
    cpuWeight: num(c.weight),
    cpuQuota: c.quota === undefined ? null : num(c.quota),
    cpuPeriod: num(c.period),
    memoryMax: c.memoryMax === undefined ? null : num(c.memoryMax),
  };
}

export function explainTemplate(template: PodTemplate, nodeMemoryBytes: bigint): TemplateReport {
  const pod = applyDefaults(template.pod);
  const { qosClass, reason } = computeQos(pod);
  const containers: ContainerReport[] = [];
  const typed: [ContainerInput, ContainerType][] = [
    ...pod.initContainers.map((c): [ContainerInput, ContainerType] => [c, isSidecar(c) ? 'sidecar' : 'init']),
    ...pod.containers.map((c): [ContainerInput, ContainerType] => [c, 'container']),
  ];
  for (const [container, type] of typed) {
    const cgroup = containerCgroup(pod, container);
    containers.push({
      name: container.name,
      type,
      requests: quantities(container.requests),
      limits: quantities(container.limits),
      oomScoreAdj: oomScoreAdjust(pod, container, qosClass, nodeMemoryBytes),
      ...cgroupJson(cgroup),
      cpuWeightLegacy: num(cgroup.weightLegacy),
    });
  }
  const report: TemplateReport = {
    source: template.source,
    kind: template.kind,
    name: template.name,
    qosClass,
    reason,
    pod: cgroupJson(podCgroup(pod, qosClass)),
    containers,
  };
  if (template.namespace !== undefined) report.namespace = template.namespace;
  const expected = template.annotations[EXPECTED_CLASS_ANNOTATION];
  if (expected !== undefined) {
    report.expectedClass = expected;
    report.matchesExpected = expected === qosClass;
  }
  if (template.reportedClass !== undefined) report.reportedClass = template.reportedClass;
  return report;
}

export function explain(templates: PodTemplate[], nodeMemory: Quantity): ExplainReport {
  const bytes = value(nodeMemory);
  return { nodeMemoryBytes: num(bytes), templates: templates.map((t) => explainTemplate(t, bytes)) };
}

function bytesText(n: JsonNumber | null): string {
  if (n === null) return 'max';
  return formatBytes({ text: String(n), nanos: BigInt(n) * 1_000_000_000n });
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}

export function formatExplain(report: ExplainReport): string {
  const lines: string[] = [];
  lines.push(`oom_score_adj for a node with ${bytesText(report.nodeMemoryBytes)} of memory; cpu.max is "quota period" in microseconds`);
  for (const t of report.templates) {
    const where = `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
    let verdict = '';
    if (t.expectedClass !== undefined) verdict = t.matchesExpected ? ' (as annotated)' : ` (MISMATCH: annotated ${t.expectedClass})`;
    if (t.reportedClass !== undefined && t.reportedClass !== t.qosClass) verdict += ` (the API reports ${t.reportedClass})`;
    lines.push('', `${where}: ${t.qosClass}${verdict}`, `  ${t.reason}`);
    const quota = t.pod.cpuQuota === null ? 'max' : `${t.pod.cpuQuota} ${t.pod.cpuPeriod}`;
    lines.push(`  pod cgroup: cpu.shares ${t.pod.cpuShares}, cpu.weight ${t.pod.cpuWeight}, cpu.max ${quota}, memory.max ${bytesText(t.pod.memoryMax)}`);
    const rows = [['CONTAINER', 'TYPE', 'CPU REQ', 'CPU LIM', 'MEM REQ', 'MEM LIM', 'OOM_SCORE_ADJ', 'CPU.SHARES', 'CPU.WEIGHT', 'CPU.MAX', 'MEMORY.MAX']];
    for (const c of t.containers) {
      rows.push([
        c.name,
        c.type,
        c.requests.cpu ?? '-',
        c.limits.cpu ?? '-',
        c.requests.memory ?? '-',
        c.limits.memory ?? '-',
        String(c.oomScoreAdj),
        String(c.cpuShares),
        c.cpuWeight === c.cpuWeightLegacy ? String(c.cpuWeight) : `${c.cpuWeight} (${c.cpuWeightLegacy} old runc)`,
        c.cpuQuota === null ? 'max' : `${c.cpuQuota} ${c.cpuPeriod}`,
        bytesText(c.memoryMax),
      ]);
    }
    lines.push(...table(rows).map((row) => `  ${row}`));
  }
  return `${lines.join('\n')}\n`;
}
