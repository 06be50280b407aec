// lab deploy: namespaces, generated secrets, the overlay (with any pinned mirror images), the
// Collector's egress named to this cluster's API server and kubelet, rollouts, and a check that
// NetworkPolicy is enforced.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { imageOverrides, type Log, projectImage, render } from './images.js';
import { type Kube, LabError, type Obj, sleep, until } from './kube.js';
import { repoRoot } from './repo.js';

export const DEFAULT_OVERLAY = join(repoRoot, 'k8s', 'overlays', 'kind');
/** The NetworkPolicy whose peers are the node's addresses, set at deploy time. */
export const NODE_EGRESS_POLICY = 'otel-collector-node';

/** A kustomization as deployed: as committed, or through a scratch overlay that swaps in pinned mirror images. */
export function renderWithOverrides(kube: Kube, overlay = DEFAULT_OVERLAY, env: NodeJS.ProcessEnv = process.env): Obj[] {
  const overrides = imageOverrides(env);
  if (overrides.length === 0) return render(kube, overlay);
  const dir = join(repoRoot, '.run', 'lab', `overlay-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(dir, overlay)],
        images: overrides.map((o) => ({ name: o.repository, newName: o.newName, digest: o.digest })),
      }),
    );
    return render(kube, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NodeAddresses {
  /** The kubelet's address (the node's InternalIP). */
  kubelet: string;
  /** Where the API server's endpoints are (the default/kubernetes EndpointSlice). */
  apiServer: { address: string; port: number }[];
}

export function nodeAddresses(kube: Kube): NodeAddresses {
  const node = kube.node();
  const internal = (node.status?.addresses as Obj[] | undefined)?.find((a) => a.type === 'InternalIP')?.address as string | undefined;
  if (!internal) throw new LabError(`node ${node.metadata?.name} reports no InternalIP`);
  const slices = kube.json(['-n', 'default', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=kubernetes']).items as Obj[];
  const apiServer: NodeAddresses['apiServer'] = [];
  for (const slice of slices) {
    const port = (slice.ports as Obj[] | undefined)?.find((p) => p.name === 'https')?.port as number | undefined;
    for (const endpoint of (slice.endpoints as Obj[] | undefined) ?? []) {
      for (const address of (endpoint.addresses as string[] | undefined) ?? []) if (port) apiServer.push({ address, port });
    }
  }
  if (apiServer.length === 0) throw new LabError('the kubernetes Service has no endpoints: is the API server up?');
  return { kubelet: internal, apiServer };
}

const hostCidr = (address: string): string => (address.includes(':') ? `${address}/128` : `${address}/32`);

/** The Collector may reach the kubelet and the API server at exactly their addresses, nothing else. */
export function nameNodeEgress(objects: Obj[], addresses: NodeAddresses): Obj[] {
  const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === NODE_EGRESS_POLICY);
  if (!policy) throw new LabError(`the overlay has no NetworkPolicy ${NODE_EGRESS_POLICY}`);
  policy.spec.egress = [
    { to: [{ ipBlock: { cidr: hostCidr(addresses.kubelet) } }], ports: [{ protocol: 'TCP', port: 10250 }] },
    ...addresses.apiServer.map((a) => ({ to: [{ ipBlock: { cidr: hostCidr(a.address) } }], ports: [{ protocol: 'TCP', port: a.port }] })),
  ];
  return objects;
}

function ensureSecret(kube: Kube, namespace: string, name: string, log: Log): void {
  if (kube.run(['-n', namespace, 'get', 'secret', name]).status === 0) {
    log(`secret ${namespace}/${name} exists; keeping it`);
    return;
  }
  kube.ok(['-n', namespace, 'create', 'secret', 'generic', name, `--from-literal=password=${randomBytes(24).toString('hex')}`]);
  log(`created secret ${namespace}/${name} with a random password`);
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

async function waitForRollouts(kube: Kube, objects: Obj[], log: Log, timeoutMs = 420_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const o of objects.filter((w) => WORKLOAD_KINDS.includes(w.kind))) {
    const target = `${String(o.kind).toLowerCase()}/${o.metadata.name}`;
    const left = Math.max(10, Math.round((deadline - Date.now()) / 1000));
    const result = kube.run(['-n', o.metadata.namespace, 'rollout', 'status', target, `--timeout=${left}s`], undefined, (left + 30) * 1000);
    if (result.status !== 0) {
      throw new LabError(`${o.metadata.namespace}/${target} did not become ready; see: kubectl --context ${kube.context} -n ${o.metadata.namespace} describe ${target}`);
    }
    log(`  ${o.metadata.namespace}/${target} ready`);
  }
}

/**
 * One line of Node for a probe pod: waits settleS (the enforcer programs a new pod's rules moments
 * after it starts), then tries the URL every second for 20 s, and exits 0 as soon as one attempt gets
 * an answer, 1 if none does.
 */
export function reachScript(url: string, settleS: number): string {
  return `const s=(ms)=>new Promise((r)=>setTimeout(r,ms));(async()=>{await s(${settleS * 1000});for(let i=0;i<20;i++){` +
    `try{if((await fetch('${url}',{signal:AbortSignal.timeout(2000)})).ok)process.exit(0)}catch{}await s(1000)}process.exit(1)})()`;
}

/** A short-lived pod in qos-lab that tries to reach the gateway; with policies enforced it cannot. */
async function policiesEnforced(kube: Kube): Promise<boolean | undefined> {
  const name = 'netpol-probe';
  kube.run(['-n', 'qos-lab', 'delete', 'pod', name, '--ignore-not-found', '--wait=true']);
  const pod = probePod(name, 'qos-lab', reachScript('http://gateway.shop.svc.cluster.local:8080/healthz', 10));
  kube.apply([pod]);
  try {
    const phase = await until(
      'the NetworkPolicy probe did not finish',
      () => {
        const p = kube.run(['-n', 'qos-lab', 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']).stdout.trim();
        return p === 'Succeeded' || p === 'Failed' ? p : undefined;
      },
      150_000,
    ).catch(() => undefined);
    if (phase === undefined) return undefined;
    return phase === 'Failed';
  } finally {
    kube.run(['-n', 'qos-lab', 'delete', 'pod', name, '--ignore-not-found', '--wait=false']);
  }
}

/** A small container of the worker image, as restricted Pod Security requires, running `command`. */
export function restrictedWorkerContainer(name: string, command: string[]): Obj {
  return {
    name,
    image: projectImage('worker'),
    imagePullPolicy: 'IfNotPresent',
    command,
    env: [{ name: 'NODE_OPTIONS', value: '' }],
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '64Mi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

/** A pod that runs one line of Node in the worker image, as restricted Pod Security requires. */
export function probePod(name: string, namespace: string, script: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'otel-qos-lab', ...labels } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [restrictedWorkerContainer(name, ['node', '-e', script])],
    },
  };
}

export interface DeployOptions {
  overlay?: string;
  log: Log;
}

export async function deploy(kube: Kube, { overlay = DEFAULT_OVERLAY, log }: DeployOptions): Promise<void> {
  kube.requireReachable();
  const objects = renderWithOverrides(kube, overlay);
  log('[1/5] namespaces (Pod Security "restricted")');
  kube.apply(objects.filter((o) => o.kind === 'Namespace'));
  log('[2/5] secrets');
  ensureSecret(kube, 'shop', 'postgres-credentials', log);
  if (objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana')) ensureSecret(kube, 'observability', 'grafana-admin', log);
  log('[3/5] the Collector may reach this node\'s kubelet and API server, at their addresses only');
  const addresses = nodeAddresses(kube);
  nameNodeEgress(objects, addresses);
  log(`  kubelet ${addresses.kubelet}:10250, API server ${addresses.apiServer.map((a) => `${a.address}:${a.port}`).join(', ')}`);
  log(`[4/5] applying ${relative(repoRoot, overlay)} (${objects.length} objects)`);
  kube.apply(objects);
  log('[5/5] waiting for rollouts');
  await waitForRollouts(kube, objects, log);
  // A freshly applied policy can take a moment to reach the enforcer.
  await sleep(2000);
  const enforced = await policiesEnforced(kube);
  if (enforced === true) log('network policies enforced: a qos-lab pod cannot reach the shop gateway');
  else if (enforced === false) log(`WARNING: a qos-lab pod reached the shop gateway: this cluster does NOT enforce NetworkPolicy (see k8s/kind/cluster.yaml)`);
  else log('WARNING: could not check NetworkPolicy enforcement (the probe pod did not finish)');
  log(`deployed. Reach the cluster with port-forwards, for example:
  kubectl --context ${kube.context} -n shop port-forward svc/gateway 8080:8080
  kubectl --context ${kube.context} -n observability port-forward svc/console 8085:8085   (the lab console: traces and dashboards)
  kubectl --context ${kube.context} -n observability port-forward svc/jaeger 16686:16686`);
}
