/**
 * The workshop node's kubelet settings, from k8s/kind/cluster.yaml: the one place that says how the
 * node reserves memory and when it evicts. `lab create-cluster` writes them into kind's config; the
 * local cluster (scaffolding/cluster) gives the same settings to its own kubelet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { repoRoot } from './repo.js';

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

export const KIND_CONFIG = join(repoRoot, 'k8s', 'kind', 'cluster.yaml');
/** The pods' memory budget when QOSLAB_POD_MEMORY_MIB is not set. */
export const DEFAULT_POD_MEMORY_MIB = 5120;
/** The node keeps at least this much beside the pods' budget. */
export const MIN_SYSTEM_RESERVED_MIB = 1024;

/**
 * What kind itself writes into every node's KubeletConfiguration before the cluster's patches
 * (kind's kubeadm config template), so a kubelet outside kind starts from the same place.
 */
export const KIND_KUBELET_DEFAULTS: Obj = {
  failSwapOn: false,
  imageGCHighThresholdPercent: 100,
  evictionHard: { 'nodefs.available': '0%', 'nodefs.inodesFree': '0%', 'imagefs.available': '0%' },
};

export class ConfigError extends Error {}

/** k8s/kind/cluster.yaml, parsed. */
export function kindCluster(text = readFileSync(KIND_CONFIG, 'utf8')): Obj {
  const cluster = parse(text) as unknown;
  if (!isObject(cluster)) throw new ConfigError(`${KIND_CONFIG}: not a kind Cluster`);
  return cluster;
}

/** The KubeletConfiguration patch of k8s/kind/cluster.yaml. */
export function kubeletPatch(cluster = kindCluster()): Obj {
  const patches = Array.isArray(cluster.kubeadmConfigPatches) ? cluster.kubeadmConfigPatches : [];
  for (const patch of patches) {
    const parsed = typeof patch === 'string' ? (parse(patch) as unknown) : undefined;
    if (isObject(parsed) && parsed.kind === 'KubeletConfiguration') return parsed;
  }
  throw new ConfigError(`${KIND_CONFIG} has no KubeletConfiguration patch`);
}

/** The Kubernetes version of the pinned kind node image (e.g. v1.36.1). */
export function nodeImageVersion(cluster = kindCluster()): string {
  const nodes = Array.isArray(cluster.nodes) ? cluster.nodes : [];
  const image = nodes.map((node) => (isObject(node) ? node.image : undefined)).find((i): i is string => typeof i === 'string');
  const match = image === undefined ? null : /^kindest\/node:(v\d+\.\d+\.\d+)@sha256:[0-9a-f]{64}$/.exec(image);
  if (!match?.[1]) throw new ConfigError(`${KIND_CONFIG}: the node image must be kindest/node:v<version>@sha256:<digest>`);
  return match[1];
}

const mebibytes = (quantity: unknown, what: string): number => {
  const match = typeof quantity === 'string' ? /^(\d+)(Mi|Gi)$/.exec(quantity) : null;
  if (!match) throw new ConfigError(`${KIND_CONFIG}: ${what} must be a quantity in Mi or Gi, not ${JSON.stringify(quantity)}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

export interface MemorySplit {
  hostMib: number;
  podMib: number;
  kubeReservedMib: number;
  systemReservedMib: number;
}

/**
 * The kubepods cgroup limit is capacity - systemReserved - kubeReserved: systemReserved is set so
 * that the pods get exactly podMib whatever the host has, and pressure is reached by filling a few
 * GiB, not the host.
 */
export function memorySplit(hostMib: number, podMib: number, patch = kubeletPatch()): MemorySplit {
  if (!Number.isInteger(podMib) || podMib <= 0) throw new ConfigError(`the pods' memory budget must be a whole number of MiB, not ${podMib}`);
  const kubeReservedMib = mebibytes(isObject(patch.kubeReserved) ? patch.kubeReserved.memory : undefined, 'kubeReserved.memory');
  const systemReservedMib = Math.floor(hostMib) - podMib - kubeReservedMib;
  if (systemReservedMib < MIN_SYSTEM_RESERVED_MIB) {
    throw new ConfigError(
      `the node has ${Math.floor(hostMib)} MiB; a ${podMib} MiB pod budget leaves under ${MIN_SYSTEM_RESERVED_MIB} MiB for it. Lower QOSLAB_POD_MEMORY_MIB (at least 4096 for the whole lab).`,
    );
  }
  return { hostMib: Math.floor(hostMib), podMib, kubeReservedMib, systemReservedMib };
}

/** The pods' memory budget from QOSLAB_POD_MEMORY_MIB (default DEFAULT_POD_MEMORY_MIB). */
export function podMemoryMib(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QOSLAB_POD_MEMORY_MIB ?? String(DEFAULT_POD_MEMORY_MIB);
  if (!/^\d+$/.test(raw)) throw new ConfigError(`QOSLAB_POD_MEMORY_MIB must be a number of MiB, not '${raw}'`);
  return Number(raw);
}

function merge(base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = isObject(value) && isObject(out[key]) ? merge(out[key], value) : value;
  return out;
}

/** The node's KubeletConfiguration fields as kind ends up with them: kind's defaults, the patch, the split. */
export function kubeletSettings(split: MemorySplit, patch = kubeletPatch()): Obj {
  const merged = merge(KIND_KUBELET_DEFAULTS, patch);
  return merge(merged, { systemReserved: { memory: `${split.systemReservedMib}Mi` } });
}

/** k8s/kind/cluster.yaml with systemReserved set for this host: what `kind create cluster` is given. */
export function kindClusterConfig(split: MemorySplit, text = readFileSync(KIND_CONFIG, 'utf8')): string {
  const doc = parseDocument(text);
  const patches = doc.get('kubeadmConfigPatches', true);
  const items = (patches as { items?: { value?: unknown }[] } | undefined)?.items ?? [];
  const index = items.findIndex((item) => typeof item.value === 'string' && isObject(parse(item.value)) && (parse(item.value) as Obj).kind === 'KubeletConfiguration');
  if (index < 0) throw new ConfigError(`${KIND_CONFIG} has no KubeletConfiguration patch`);
  const patchDoc = parseDocument(String(items[index]?.value));
  patchDoc.setIn(['systemReserved', 'memory'], `${split.systemReservedMib}Mi`);
  doc.setIn(['kubeadmConfigPatches', index], patchDoc.toString());
  return doc.toString();
}
