// The workshop's kind cluster: created with the node settings of k8s/kind/cluster.yaml and the
// pods' memory budget for this host; removed with everything in it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from './images.js';
import { KIND_CLUSTER, type Kube, LabError, must, run, until } from './kube.js';
import { kindClusterConfig, memorySplit, podMemoryMib } from './node-config.js';

function kindClusters(): string[] {
  const result = run('kind', ['get', 'clusters']);
  if (result.status !== 0) throw new LabError(`kind is not usable: ${result.stderr.trim().split('\n')[0]}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** Approves the kubelet's serving-certificate requests, so clients can verify the kubelet. */
function approveKubeletServing(kube: Kube): number {
  const csrs = kube.json(['get', 'csr']).items as { metadata: { name: string }; spec: { signerName: string }; status?: { conditions?: unknown[] } }[];
  const pending = csrs.filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && !c.status?.conditions?.length);
  for (const csr of pending) kube.ok(['certificate', 'approve', csr.metadata.name]);
  return pending.length;
}

export async function createCluster(kube: Kube, log: Log): Promise<void> {
  if (!kube.isKind) throw new LabError(`create-cluster makes the workshop's kind cluster (context kind-${KIND_CLUSTER}); QOSLAB_CONTEXT names "${kube.context}"`);
  if (kindClusters().includes(KIND_CLUSTER)) {
    log(`cluster '${KIND_CLUSTER}' exists already (npm run lab -- teardown deletes it)`);
    return;
  }
  // The kubelet in a kind node sees the memory of the Docker host (or of Docker Desktop's VM).
  const hostBytes = Number(must('docker', ['info', '--format', '{{.MemTotal}}']).trim());
  if (!Number.isFinite(hostBytes) || hostBytes <= 0) throw new LabError("cannot read the Docker host's memory from 'docker info'");
  const split = memorySplit(hostBytes / 1024 / 1024, podMemoryMib());
  log(`Docker host memory ${split.hostMib} MiB: pods get ${split.podMib} MiB, systemReserved ${split.systemReservedMib} MiB, kubeReserved ${split.kubeReservedMib} MiB`);
  const dir = mkdtempSync(join(tmpdir(), 'qoslab-kind-'));
  try {
    const config = join(dir, 'cluster.yaml');
    writeFileSync(config, kindClusterConfig(split));
    log(`creating kind cluster '${KIND_CLUSTER}' (pulls kindest/node the first time)`);
    must('kind', ['create', 'cluster', '--name', KIND_CLUSTER, '--config', config, '--wait', '180s'], { timeoutMs: 900_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await until('the kubelet did not ask for its serving certificate', () => (approveKubeletServing(kube) > 0 ? true : undefined), 120_000, 2000);
  kube.ok(['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=180s'], undefined, 200_000);
  const node = kube.node();
  log(`ready: node ${node.metadata.name}, allocatable memory ${node.status.allocatable.memory} (the pods' budget minus the hard eviction threshold)`);
}

export function deleteKindCluster(log: Log): void {
  if (!kindClusters().includes(KIND_CLUSTER)) {
    log(`no kind cluster '${KIND_CLUSTER}'`);
    return;
  }
  must('kind', ['delete', 'cluster', '--name', KIND_CLUSTER], { timeoutMs: 300_000 });
  log(`deleted kind cluster '${KIND_CLUSTER}'`);
}
