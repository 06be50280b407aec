// lab attack: the moves of "Hacking and Defending Kubernetes Clusters: We'll Do It LIVE!!!" against
// the deployed kit. Each move runs twice: against the hardened kit, where one item of the hardening
// list stops it, and with that one item switched off, where it works. Nothing stays switched off.
import type { Log } from './images.js';
import { restrictedWorkerContainer } from './deploy.js';
import { type Kube, LabError, type Obj, sleep, until } from './kube.js';

const ATTACKER_NAMESPACE = 'lab-attacker';
const ATTACKER = 'attacker';
const ESCALATED = 'attacker-escalated';

interface Outcome {
  blocked: boolean;
  detail: string;
}

export interface Attempt {
  move: string;
  defence: string;
  hardened: Outcome;
  itemOff: Outcome;
  /** The hardened attempt was stopped by that item (its refusal names it), not by something else. */
  stoppedByItem: boolean;
}

/** The attacker's toolbox: one Node script, the move chosen by its first argument. */
const TOOLBOX = String.raw`
const [move, target, givenToken] = process.argv.slice(1);
const fs = require('node:fs');
const net = require('node:net');
const done = (ok, detail) => { console.log(JSON.stringify({ ok, detail })); process.exit(0); };
const tokenFile = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const token = () => fs.readFileSync(tokenFile, 'utf8');
const https = async (url, given) => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  let auth = {};
  try { auth = { authorization: 'Bearer ' + (given || token()) }; } catch {}
  const r = await fetch(url, { headers: auth, signal: AbortSignal.timeout(5000) });
  return r.status;
};
(async () => {
  try {
    if (move === 'tcp') {
      const [host, port] = target.split(':');
      const socket = net.connect({ host, port: Number(port), timeout: 4000 });
      socket.once('connect', () => done(true, 'connected to ' + target));
      socket.once('timeout', () => done(false, 'no answer from ' + target + ' (dropped)'));
      socket.once('error', (e) => done(false, e.code + ' from ' + target));
    } else if (move === 'token') {
      try { done(token().length > 0, 'read a service-account token (' + token().length + ' bytes)'); } catch (e) { done(false, 'no token: ' + e.code); }
    } else if (move === 'get') {
      const status = await https(target, givenToken);
      done(status === 200, 'HTTP ' + status + ' from ' + target);
    }
  } catch (e) { done(false, (e.cause && e.cause.code) || e.name + ': ' + e.message); }
})();
`;

function attackerPod(name: string, namespace: string, serviceAccount: string, automount: boolean): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': ATTACKER, 'app.kubernetes.io/part-of': 'otel-qos-lab-exercise' } },
    spec: {
      serviceAccountName: serviceAccount,
      automountServiceAccountToken: automount,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [restrictedWorkerContainer(ATTACKER, ['sleep', '3600'])],
    },
  };
}

type Risk = 'privileged' | 'hostPath' | 'unpinned';

/**
 * A pod the talk's attacker would like to run: in every other respect what Pod Security "restricted"
 * asks for, so that what refuses it is the item of the hardening list its one risk breaks.
 */
function riskyPod(name: string, namespace: string, risk: Risk): Obj {
  const pod = attackerPod(name, namespace, 'default', false);
  const container = pod.spec.containers[0] as Obj;
  container.name = 'risky';
  if (risk === 'unpinned') container.image = 'busybox';
  // privileged cannot be combined with allowPrivilegeEscalation: false (the API rejects that as invalid).
  if (risk === 'privileged') container.securityContext = { privileged: true, readOnlyRootFilesystem: true };
  if (risk === 'hostPath') {
    pod.spec.volumes = [{ name: 'host', hostPath: { path: '/' } }];
    container.volumeMounts = [{ name: 'host', mountPath: '/host', readOnly: true }];
  }
  return pod;
}

interface Toolbox {
  kube: Kube;
  namespace: string;
  pod: string;
}

function tool(box: Toolbox, move: string, target = '', token = ''): { blocked: boolean; detail: string } {
  const result = box.kube.run(['-n', box.namespace, 'exec', box.pod, '--', 'node', '-e', TOOLBOX, move, target, token], undefined, 60_000);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as { ok: boolean; detail: string };
    return { blocked: !parsed.ok, detail: parsed.detail };
  } catch {
    throw new LabError(`the attacker's ${move} move gave no answer: ${(result.stderr || result.stdout).trim().split('\n').pop()}`);
  }
}

/** Admission of a pod: blocked when the API server refuses it (dry run, nothing is created). */
function admission(kube: Kube, pod: Obj): { blocked: boolean; detail: string } {
  const result = kube.run(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
  const detail = (result.status === 0 ? 'admitted' : result.stderr.trim().replace(/^Error from server \(\w+\): (error when creating "STDIN": )?/, '')).split('\n')[0]!.slice(0, 300);
  return { blocked: result.status !== 0, detail };
}

async function ready(kube: Kube, namespace: string, pod: string): Promise<void> {
  await until(`the ${pod} pod did not start`, () => (kube.run(['-n', namespace, 'get', 'pod', pod, '-o', 'jsonpath={.status.phase}']).stdout === 'Running' ? true : undefined), 90_000);
}

/** Deletes the namespace's NetworkPolicies for `body`, then puts them back exactly as they were. */
async function withoutPolicies<T>(kube: Kube, namespace: string, body: () => Promise<T> | T): Promise<T> {
  const saved = kube.json(['-n', namespace, 'get', 'networkpolicies']).items as Obj[];
  const clean = saved.map((p) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: p.metadata.name, namespace, labels: p.metadata.labels ?? {} }, spec: p.spec }));
  kube.ok(['-n', namespace, 'delete', 'networkpolicies', '--all']);
  try {
    await sleep(3000);
    return await body();
  } finally {
    kube.apply(clean);
    await sleep(3000);
  }
}

export interface AttackOptions {
  log: Log;
  /** Print the attempts as JSON instead of a table. */
  json?: boolean;
}

export async function runAttack(kube: Kube, log: Log): Promise<Attempt[]> {
  kube.requireReachable();
  const node = kube.node();
  const nodeIp = (node.status.addresses as Obj[]).find((a) => a.type === 'InternalIP')?.address as string;
  const gatewayPod = (kube.json(['-n', 'shop', 'get', 'pods', '-l', 'app.kubernetes.io/name=gateway']).items as Obj[])[0]?.metadata.name as string | undefined;
  if (!gatewayPod) throw new LabError('no gateway pod in shop: deploy first (npm run lab -- deploy)');

  // A previous run's namespace may still be going away.
  await until(`namespace ${ATTACKER_NAMESPACE} of an earlier run was not deleted`, () => (kube.run(['get', 'namespace', ATTACKER_NAMESPACE]).status !== 0 ? true : undefined), 180_000, 2000);
  log(`the attacker's own namespace ${ATTACKER_NAMESPACE}: no Pod Security level, no NetworkPolicy, a service account of its own`);
  kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ATTACKER_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'otel-qos-lab-exercise' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ATTACKER, namespace: ATTACKER_NAMESPACE } },
    attackerPod(ATTACKER, ATTACKER_NAMESPACE, ATTACKER, true),
  ]);
  await ready(kube, ATTACKER_NAMESPACE, ATTACKER);
  const box: Toolbox = { kube, namespace: ATTACKER_NAMESPACE, pod: ATTACKER };
  const compromised: Toolbox = { kube, namespace: 'shop', pod: gatewayPod };
  const attempts: Attempt[] = [];
  const record = (move: string, defence: string, hardened: Outcome, itemOff: Outcome, stoppedBy: RegExp) => {
    attempts.push({ move, defence, hardened, itemOff, stoppedByItem: hardened.blocked && stoppedBy.test(hardened.detail) });
    log(`  ${move}: hardened ${hardened.blocked ? 'BLOCKED' : 'GOT THROUGH'} (${hardened.detail}); ${defence} off: ${itemOff.blocked ? 'still blocked' : 'worked'} (${itemOff.detail})`);
  };
  const bind = (name: string, role: string, namespace?: string) => {
    const kind = namespace ? 'RoleBinding' : 'ClusterRoleBinding';
    kube.apply([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: ATTACKER, namespace: ATTACKER_NAMESPACE }] }]);
    return () => kube.run(['delete', kind.toLowerCase(), name, ...(namespace ? ['-n', namespace] : []), '--ignore-not-found']);
  };

  try {
    const db = 'postgres.shop.svc.cluster.local:5432';
    const gateway = 'gateway.shop.svc.cluster.local:8080';
    // kube-router rejects a packet no policy admits (ICMP "port unreachable": ECONNREFUSED); other enforcers drop it.
    const refusedByPolicy = /ECONNREFUSED|no answer|ETIMEDOUT|EHOSTUNREACH/;
    record('reach the database', 'NetworkPolicy (shop)', tool(box, 'tcp', db), await withoutPolicies(kube, 'shop', () => tool(box, 'tcp', db)), refusedByPolicy);
    record('reach another service', 'NetworkPolicy (shop)', tool(box, 'tcp', gateway), await withoutPolicies(kube, 'shop', () => tool(box, 'tcp', gateway)), refusedByPolicy);
    record('read a service-account token', 'automountServiceAccountToken: false', tool(compromised, 'token'), tool(box, 'token'), /no token: ENOENT/);

    const secrets = 'https://kubernetes.default.svc/api/v1/namespaces/shop/secrets';
    const hardenedApi = tool(box, 'get', secrets);
    const unbindApi = bind('lab-attacker-admin', 'admin', 'shop');
    await sleep(1500);
    try {
      record('read the shop\'s secrets from the API server', 'least-privilege RBAC', hardenedApi, tool(box, 'get', secrets), /HTTP 403/);
    } finally {
      unbindApi();
    }

    // The kubelet caches its authorization answers (30 s for a refusal): the item-off attempt is
    // made by a second identity, one that holds nodes/proxy.
    const kubelet = `https://${nodeIp}:10250/pods`;
    const hardenedKubelet = tool(box, 'get', kubelet);
    kube.apply([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ESCALATED, namespace: ATTACKER_NAMESPACE } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'lab-attacker-nodes-proxy' }, rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get', 'create'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'lab-attacker-nodes-proxy' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lab-attacker-nodes-proxy' }, subjects: [{ kind: 'ServiceAccount', name: ESCALATED, namespace: ATTACKER_NAMESPACE }] },
    ]);
    try {
      const token = kube.ok(['-n', ATTACKER_NAMESPACE, 'create', 'token', ESCALATED, '--duration=10m']).trim();
      record('list every pod through the kubelet', 'no nodes/proxy for any workload', hardenedKubelet, tool(box, 'get', kubelet, token), /HTTP 403/);
    } finally {
      kube.run(['delete', 'clusterrolebinding', 'lab-attacker-nodes-proxy', '--ignore-not-found']);
      kube.run(['delete', 'clusterrole', 'lab-attacker-nodes-proxy', '--ignore-not-found']);
    }

    for (const [risk, move, defence, stoppedBy] of [
      ['privileged', 'run a privileged container', 'Pod Security "restricted"', /PodSecurity "restricted:latest": .*privileged \(/],
      ['hostPath', "mount the node's root filesystem", 'Pod Security "restricted"', /PodSecurity "restricted:latest": (restricted volume types|hostPath)/],
      ['unpinned', 'run an unpinned image (busybox, implicitly :latest)', 'the pinned-images admission policy', /qoslab-pinned-images.*pinned by digest/],
    ] as const) {
      record(move, defence, admission(kube, riskyPod(`risky-${risk.toLowerCase()}`, 'shop', risk)), admission(kube, riskyPod(`risky-${risk.toLowerCase()}`, ATTACKER_NAMESPACE, risk)), stoppedBy);
    }
  } finally {
    kube.run(['delete', 'namespace', ATTACKER_NAMESPACE, '--ignore-not-found', '--wait=false']);
  }
  return attempts;
}

export async function attack(kube: Kube, { log, json = false }: AttackOptions): Promise<boolean> {
  const attempts = await runAttack(kube, log);
  const held = attempts.every((a) => a.stoppedByItem && !a.itemOff.blocked);
  if (json) {
    process.stdout.write(`${JSON.stringify(attempts, null, 2)}\n`);
    return held;
  }
  const width = Math.max(...attempts.map((a) => a.move.length));
  process.stdout.write(`${'MOVE'.padEnd(width)}  HARDENED  ITEM OFF  DEFENCE\n`);
  for (const a of attempts) {
    const hardened = a.stoppedByItem ? 'blocked' : a.hardened.blocked ? 'blocked?' : 'GOT IN';
    process.stdout.write(`${a.move.padEnd(width)}  ${hardened.padEnd(8)}  ${(a.itemOff.blocked ? 'blocked' : 'worked').padEnd(8)}  ${a.defence}\n`);
  }
  log(held ? 'every move was stopped by its item of the hardening list, and worked with that item off' : 'some move did not behave as the hardening list says: see above');
  return held;
}
