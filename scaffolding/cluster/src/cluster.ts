// up, down, status: the local single-node cluster's life cycle.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { kubeletSettings, memorySplit, podMemoryMib } from '@qoslab/lab';
import { type Binaries, componentSpecs, type ComponentSpec, writeConfigs } from './components';
import { ClusterError, inNode, must, netnsPath, run, sleep, until } from './exec';
import { cgroupLayout, checkHostNetwork, ensurePackages, hasCapSysResource, hostIptables, readRecordedHost, recordHost, requireRoot, restoreNetnsDir, restoreSysctls } from './host';
import { type ImageSpec, writeOciArchive } from './oci';
import { ensurePki } from './pki';
import { CGROUP_NAME, COMPONENTS, type Component, CONTEXT, CRI_NAMESPACE, NETWORK, NODE_NAME, PORTS, type Paths, paths } from './settings';
import { toolPath } from '@qoslab/native-stack';

export const SANDBOX_IMAGE = 'docker.io/qoslab-local/pause:3.10.1';
export const COREDNS_IMAGE = 'docker.io/qoslab-local/coredns:1.14.7';
/** Parent of every pod cgroup, like kind's /kubelet: kept apart from anything else on the host. */
export const CGROUP_ROOT = '/qoslab-pods';

const ADDONS = join(__dirname, '..', 'addons');

export type Log = (line: string) => void;

interface Context {
  p: Paths;
  log: Log;
}

const pidFile = (p: Paths, name: string) => join(p.run, `${name}.pid`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function componentPid(p: Paths, name: Component): number | undefined {
  if (!existsSync(pidFile(p, name))) return undefined;
  const pid = Number(readFileSync(pidFile(p, name), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export function kubectl(p: Paths, args: string[], input?: string): string {
  return must(toolPath('kubectl'), ['--kubeconfig', p.kubeconfig, ...args], input === undefined ? {} : { input });
}

function curlInNode(url: string): boolean {
  const [command, args] = inNode('curl', ['-sfk', '--max-time', '2', '-o', '/dev/null', url]);
  return run(command, args).status === 0;
}

function trackingCgroup(): string {
  return join(cgroupLayout().tracking, CGROUP_NAME);
}

/** Starts a component detached, in the node's network namespace, in the cluster's own cgroup. */
function startComponent(ctx: Context, spec: ComponentSpec): number {
  const log = openSync(join(ctx.p.logs, `${spec.name}.log`), 'a');
  const tracking = trackingCgroup();
  const child = spawn(
    'sh',
    ['-c', `echo $$ > "${join(tracking, 'cgroup.procs')}" && exec nsenter --net="${netnsPath()}" -- "$@"`, 'sh', spec.command, ...spec.args],
    { detached: true, stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...spec.env } },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new ClusterError(`could not start ${spec.name}`);
  writeFileSync(pidFile(ctx.p, spec.name), `${child.pid}\n`);
  return child.pid;
}

function logTail(p: Paths, name: string, lines = 6): string {
  try {
    return readFileSync(join(p.logs, `${name}.log`), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** How each component shows that it is ready. */
function readiness(p: Paths, name: Component): () => boolean {
  switch (name) {
    case 'containerd':
      return () => run('ctr', ['--address', p.containerdSocket, 'version']).status === 0;
    case 'etcd':
      return () => curlInNode(`http://127.0.0.1:${PORTS.etcdClient}/health`);
    case 'kube-apiserver':
      return () => run(toolPath('kubectl'), ['--kubeconfig', p.kubeconfig, 'get', '--raw', '/readyz']).status === 0;
    case 'kube-controller-manager':
      return () => curlInNode(`https://127.0.0.1:${PORTS.controllerManager}/healthz`);
    case 'kube-scheduler':
      return () => curlInNode(`https://127.0.0.1:${PORTS.scheduler}/healthz`);
    case 'kubelet':
      return () => curlInNode(`http://127.0.0.1:${PORTS.kubeletHealthz}/healthz`);
    case 'kube-proxy':
      return () => curlInNode(`http://127.0.0.1:${PORTS.proxyHealthz}/healthz`);
    case 'kube-router':
      return () => curlInNode(`http://127.0.0.1:${PORTS.routerHealth}/healthz`);
  }
}

async function waitReady(ctx: Context, name: Component, pid: number, timeoutMs = 90_000): Promise<void> {
  const ready = readiness(ctx.p, name);
  await until(
    `${name} was not ready (log: ${join(ctx.p.logs, `${name}.log`)})`,
    () => {
      if (!alive(pid)) throw new ClusterError(`${name} exited:\n${logTail(ctx.p, name)}`);
      return ready() ? true : undefined;
    },
    timeoutMs,
  ).catch((error: unknown) => {
    if (!alive(pid)) throw new ClusterError(`${name} exited during start-up; last lines of ${join(ctx.p.logs, `${name}.log`)}:\n${logTail(ctx.p, name)}`);
    throw error;
  });
}

function setUpNetwork(): void {
  const { netns, hostInterface, nodeInterface, hostAddress, nodeAddress } = NETWORK;
  must('ip', ['netns', 'add', netns]);
  must('ip', ['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', nodeInterface, 'netns', netns]);
  // Point to point: each side routes exactly the other's address through the pair.
  must('ip', ['addr', 'add', hostAddress, 'peer', `${nodeAddress}/32`, 'dev', hostInterface]);
  must('ip', ['link', 'set', hostInterface, 'up']);
  const node = (...args: string[]) => must('ip', ['-n', netns, ...args]);
  node('link', 'set', 'lo', 'up');
  node('addr', 'add', nodeAddress, 'peer', `${hostAddress}/32`, 'dev', nodeInterface);
  node('link', 'set', nodeInterface, 'up');
  // Inside the node's namespace only: pods reach each other and the node through the bridge.
  const [command, args] = inNode('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
  must(command, args);
}

function makeCgroups(): void {
  const layout = cgroupLayout();
  mkdirSync(join(layout.tracking, CGROUP_NAME), { recursive: true });
  // The kubelet expects its cgroup root to exist in every hierarchy.
  for (const hierarchy of layout.hierarchies) mkdirSync(join(hierarchy, CGROUP_ROOT), { recursive: true });
  if (layout.version === 1) {
    // cpuset children start empty in v1: give the pods' root every CPU and memory node of its parent.
    const cpuset = layout.hierarchies.find((h) => existsSync(join(h, 'cpuset.cpus')));
    if (cpuset) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const value = readFileSync(join(cpuset, file), 'utf8').trim();
        writeFileSync(join(cpuset, CGROUP_ROOT, file), value);
      }
    }
  }
}

function binaries(): Binaries {
  return {
    etcd: 'etcd',
    containerd: 'containerd',
    'kube-apiserver': toolPath('kube-apiserver'),
    'kube-controller-manager': toolPath('kube-controller-manager'),
    'kube-scheduler': toolPath('kube-scheduler'),
    kubelet: toolPath('kubelet'),
    'kube-proxy': toolPath('kube-proxy'),
    'kube-router': toolPath('kube-router'),
  };
}

/** Imports an image archive (OCI or `docker save`) into the namespace the kubelet uses. */
export function importArchive(p: Paths, archive: string, repository?: string): void {
  // --digests with the repository records repository@sha256:<digest> too: what a pod pinned by digest names.
  const naming = repository === undefined ? [] : ['--digests', '--base-name', repository];
  must('ctr', ['--address', p.containerdSocket, '-n', CRI_NAMESPACE, 'images', 'import', ...naming, archive], { timeoutMs: 600_000 });
}

/** A reference as containerd stores it: docker.io/library/x:tag for x:tag, docker.io/a/b for a/b. */
export function normalizeReference(reference: string): string {
  const first = reference.split('/')[0]!;
  const hasRegistry = reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return reference;
  return reference.includes('/') ? `docker.io/${reference}` : `docker.io/library/${reference}`;
}

const repositoryOf = (reference: string): string => {
  const name = reference.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
};

/** The manifest digest containerd holds for a reference. */
export function imageDigest(p: Paths, reference: string): string {
  const listing = must('ctr', ['--address', p.containerdSocket, '-n', CRI_NAMESPACE, 'images', 'ls']);
  const row = listing.split('\n').map((line) => line.split(/\s+/)).find((cols) => cols[0] === reference);
  if (!row?.[2]?.startsWith('sha256:')) throw new ClusterError(`${reference} is not in the node's image store`);
  return row[2];
}

function importClusterImages(ctx: Context): void {
  const dir = join(ctx.p.state, 'images');
  mkdirSync(dir, { recursive: true });
  const images: ImageSpec[] = [
    { name: SANDBOX_IMAGE, files: { '/pause': toolPath('pause') }, entrypoint: ['/pause'] },
    { name: COREDNS_IMAGE, files: { '/coredns': toolPath('coredns') }, entrypoint: ['/coredns'], user: '65532:65532' },
  ];
  for (const image of images) {
    const archive = join(dir, `${image.name.replace(/[/:]/g, '_')}.tar`);
    writeOciArchive(image, archive);
    importArchive(ctx.p, archive, repositoryOf(image.name));
  }
}

function approveServingCertificates(p: Paths): number {
  const csrs = JSON.parse(kubectl(p, ['get', 'csr', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { signerName: string; username: string }; status?: { conditions?: unknown[] } }[] };
  const pending = csrs.items.filter(
    (csr) => csr.spec.signerName === 'kubernetes.io/kubelet-serving' && csr.spec.username === `system:node:${NODE_NAME}` && !(csr.status?.conditions?.length),
  );
  for (const csr of pending) kubectl(p, ['certificate', 'approve', csr.metadata.name]);
  return pending.length;
}

/** Volumes without a provisioner: a default StorageClass and hostPath PersistentVolumes under the state directory. */
export const VOLUMES = 8;

function storageObjects(p: Paths): Record<string, unknown>[] {
  const volumes = Array.from({ length: VOLUMES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `qoslab-local-${i + 1}`, labels: { 'qoslab.dev/cluster': 'local' } },
    spec: {
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'standard',
      hostPath: { path: join(p.state, 'volumes', `pv-${i + 1}`), type: 'Directory' },
    },
  }));
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      // The name and default-ness of kind's own class, so manifests written for kind bind here too.
      metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    },
    ...volumes,
  ];
}

function applyStorage(p: Paths): void {
  for (let i = 1; i <= VOLUMES; i++) {
    // Writable by any user: a hostPath volume gets no fsGroup ownership, and pods run as non-root.
    const dir = join(p.state, 'volumes', `pv-${i}`);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o1777);
  }
  kubectl(p, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: storageObjects(p) }));
}

interface NodeStatus {
  ready: boolean;
  allocatableMemory?: string;
  kubeletVersion?: string;
}

function nodeStatus(p: Paths): NodeStatus | undefined {
  const result = run(toolPath('kubectl'), ['--kubeconfig', p.kubeconfig, 'get', 'node', NODE_NAME, '-o', 'json']);
  if (result.status !== 0) return undefined;
  const node = JSON.parse(result.stdout) as { status: { conditions: { type: string; status: string }[]; allocatable: Record<string, string>; nodeInfo: { kubeletVersion: string } } };
  return {
    ready: node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    allocatableMemory: node.status.allocatable.memory,
    kubeletVersion: node.status.nodeInfo.kubeletVersion,
  };
}

function hostMemoryMib(): number {
  const match = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!match?.[1]) throw new ClusterError('cannot read MemTotal from /proc/meminfo');
  return Number(match[1]) / 1024;
}

/** Something of a cluster is on this host: a namespace, an interface, a process, a mount. */
export function leftovers(p: Paths): string[] {
  const found: string[] = [];
  if (existsSync(netnsPath())) found.push(`network namespace ${NETWORK.netns}`);
  if (run('ip', ['link', 'show', NETWORK.hostInterface]).status === 0) found.push(`interface ${NETWORK.hostInterface}`);
  for (const name of COMPONENTS) {
    const pid = componentPid(p, name);
    if (pid !== undefined) found.push(`${name} (pid ${pid})`);
  }
  for (const pid of processesInTree(cgroupDirs())) found.push(`process ${pid} (${processName(pid)}) in the cluster's cgroups`);
  for (const mount of clusterMounts(p)) found.push(`mount ${mount}`);
  return found;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Directories of a cgroup subtree, deepest first. */
function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) out.push(...subtree(join(dir, entry.name)));
  out.push(dir);
  return out;
}

function cgroupDirs(): string[] {
  let layout;
  try {
    layout = cgroupLayout();
  } catch {
    return [];
  }
  return [join(layout.tracking, CGROUP_NAME), ...layout.hierarchies.map((h) => join(h, CGROUP_ROOT))];
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\040/g, ' '));
}

/** Mounts the cluster made: under its directories, and the pods' network namespaces it left. */
function clusterMounts(p: Paths): string[] {
  const pods = podNetns(p);
  return mountPoints().filter((m) => m.startsWith(`${p.state}/`) || m.startsWith(`${p.run}/`) || m === netnsPath() || pods.includes(m));
}

/** The pods' network namespaces (containerd CRI makes them under /run/netns), as recorded by containerd. */
function podNetns(p: Paths): string[] {
  const record = join(p.state, 'pod-netns');
  const known = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];
  return known;
}

function recordPodNetns(p: Paths): void {
  if (!existsSync(p.containerdSocket)) return;
  const ids = run('ctr', ['--address', p.containerdSocket, '-n', CRI_NAMESPACE, 'containers', 'ls', '-q']);
  if (ids.status !== 0) return;
  const paths = new Set(podNetns(p));
  for (const id of ids.stdout.split('\n').filter(Boolean)) {
    const info = run('ctr', ['--address', p.containerdSocket, '-n', CRI_NAMESPACE, 'containers', 'info', id]);
    if (info.status !== 0) continue;
    for (const match of info.stdout.matchAll(/"path": "(\/(?:var\/)?run\/netns\/cni-[0-9a-f-]+)"/g)) paths.add(match[1]!.replace(/^\/var\/run\//, '/run/'));
  }
  writeFileSync(join(p.state, 'pod-netns'), `${[...paths].join('\n')}\n`);
}

async function stopPid(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function processesInTree(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const root of dirs) {
    for (const dir of subtree(root)) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid));
      } catch {
        // gone meanwhile
      }
    }
  }
  return [...pids];
}

async function killAll(dirs: string[], what: string, log: Log): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = processesInTree(dirs);
    if (pids.length === 0) return;
    if (round === 0) log(`stopping ${pids.length} ${what}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(250);
  }
}

function unmountAll(p: Paths, log: Log): void {
  const mounts = clusterMounts(p).sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    if (run('umount', [mount]).status !== 0 && run('umount', ['-l', mount]).status !== 0) log(`could not unmount ${mount}`);
  }
  for (const netns of podNetns(p)) rmSync(netns, { force: true });
}

function removeCgroups(): void {
  for (const root of cgroupDirs()) {
    for (const dir of subtree(root)) {
      try {
        rmdirSync(dir);
      } catch {
        // still busy: leftovers() reports it
      }
    }
  }
}

export interface UpOptions {
  log: Log;
  p?: Paths;
}

/** Starts the cluster; on failure stops what it started and restores the host. */
export async function up({ log, p = paths() }: UpOptions): Promise<void> {
  requireRoot();
  const ctx: Context = { p, log };
  const status = nodeStatusIfUp(p);
  if (status?.ready) {
    log(`already up: node ${NODE_NAME} Ready; kubeconfig ${p.kubeconfig}`);
    return;
  }
  cgroupLayout();
  if (leftovers(p).length > 0) {
    log(`a cluster was left behind (${leftovers(p).join(', ')}); taking it down first`);
    await down({ log, p });
  }
  checkHostNetwork();
  ensurePackages(log);
  const bin = binaries();
  for (const tool of ['coredns', 'pause'] as const) toolPath(tool);

  const started = Date.now();
  for (const dir of [p.state, p.run, p.logs, p.containerdState]) mkdirSync(dir, { recursive: true });
  recordHost(p.hostSettings);
  try {
    const canLower = hasCapSysResource();
    if (!canLower) log('this machine lacks CAP_SYS_RESOURCE: no process can lower oom_score_adj, so Guaranteed pods get 0 instead of -997');
    const split = memorySplit(hostMemoryMib(), podMemoryMib());
    log(`host memory ${split.hostMib} MiB: pods get ${split.podMib} MiB, systemReserved ${split.systemReservedMib} MiB, kubeReserved ${split.kubeReservedMib} MiB`);
    ensurePki(p.pki);
    writeConfigs(p, { kubelet: kubeletSettings(split), canLowerOomScoreAdj: canLower, cgroupRoot: CGROUP_ROOT, sandboxImage: SANDBOX_IMAGE });
    setUpNetwork();
    makeCgroups();
    for (const spec of componentSpecs(p, bin)) {
      const pid = startComponent(ctx, spec);
      await waitReady(ctx, spec.name, pid, spec.name === 'kubelet' ? 120_000 : 90_000);
      log(`${spec.name.padEnd(24)} ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      if (spec.name === 'containerd') importClusterImages(ctx);
      if (spec.name === 'kube-apiserver') kubectl(p, ['apply', '-f', join(ADDONS, 'rbac.yaml')]);
    }
    await until('the kubelet did not ask for its serving certificate', () => (approveServingCertificates(p) > 0 ? true : undefined), 60_000, 1000);
    await until('the node did not become Ready', () => (nodeStatus(p)?.ready ? true : undefined), 120_000, 1000);
    applyStorage(p);
    kubectl(p, ['apply', '-f', join(ADDONS, 'coredns.yaml')]);
    kubectl(p, ['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s']);
    const node = nodeStatus(p);
    log(`up after ${((Date.now() - started) / 1000).toFixed(1)} s: node ${NODE_NAME} Ready (${node?.kubeletVersion}), allocatable memory ${node?.allocatableMemory}, ${cpus().length} CPUs`);
    log(`kubeconfig: ${p.kubeconfig} (context ${CONTEXT}); logs: ${p.logs}`);
  } catch (error) {
    log('start-up failed; taking down what was started');
    await down({ log, p }).catch((downError: unknown) => log(`down failed too: ${String(downError)}`));
    throw error;
  }
}

function nodeStatusIfUp(p: Paths): NodeStatus | undefined {
  if (!existsSync(p.kubeconfig) || componentPid(p, 'kube-apiserver') === undefined) return undefined;
  try {
    return nodeStatus(p);
  } catch {
    return undefined;
  }
}

export interface DownOptions {
  log: Log;
  p?: Paths;
  /** Also drop the image store (imported images), not only the cluster's state. */
  purge?: boolean;
}

/** Stops everything, removes every mount, interface, namespace and cgroup, and restores the host's settings. */
export async function down({ log, p = paths(), purge = false }: DownOptions): Promise<void> {
  requireRoot();
  recordPodNetns(p);
  for (const name of ['kube-router', 'kube-proxy', 'kube-scheduler', 'kube-controller-manager', 'kubelet'] as const) {
    const pid = componentPid(p, name);
    if (pid !== undefined) await stopPid(pid, 10_000);
  }
  // The pods' processes, then the containerd shims that watched them.
  await killAll(cgroupDirs().slice(1), 'pod processes', log);
  const containerd = componentPid(p, 'containerd');
  if (containerd !== undefined) {
    recordPodNetns(p);
    removeContainers(p);
    await stopPid(containerd, 10_000);
  }
  for (const name of ['kube-apiserver', 'etcd'] as const) {
    const pid = componentPid(p, name);
    if (pid !== undefined) await stopPid(pid, 10_000);
  }
  await killAll(cgroupDirs(), 'remaining processes of the cluster', log);
  unmountAll(p, log);
  if (existsSync(netnsPath())) must('ip', ['netns', 'delete', NETWORK.netns]);
  if (run('ip', ['link', 'show', NETWORK.hostInterface]).status === 0) must('ip', ['link', 'delete', NETWORK.hostInterface]);
  removeCgroups();

  const recorded = readRecordedHost(p.hostSettings);
  if (recorded) {
    for (const change of restoreSysctls(recorded.sysctls)) log(`restored ${change}`);
    const netns = restoreNetnsDir(recorded.netnsDir);
    if (netns) log(`restored ${netns}`);
    if (recorded.iptables && hostIptables() !== recorded.iptables) log("warning: the host's iptables rules differ from before `up` (the cluster keeps its rules in its own namespace; something else changed them?)");
  }
  for (const dir of [p.etcd, p.kubelet, p.pki, p.config, join(p.state, 'cni'), join(p.state, 'volumes'), join(p.state, 'pod-netns'), p.kubeconfig, p.hostSettings, p.run]) rmSync(dir, { recursive: true, force: true });
  if (purge) rmSync(p.state, { recursive: true, force: true });

  const remaining = leftovers(p);
  if (remaining.length > 0) throw new ClusterError(`down left behind: ${remaining.join(', ')}`);
  log('down: no process, mount, network namespace, interface or cgroup of the cluster remains; host settings restored');
}

/** Deletes every container and its task, so containerd exits without shims or mounts left. */
function removeContainers(p: Paths): void {
  const ctr = (...args: string[]) => run('ctr', ['--address', p.containerdSocket, '-n', CRI_NAMESPACE, ...args], { timeoutMs: 30_000 });
  const ids = ctr('containers', 'ls', '-q');
  if (ids.status !== 0) return;
  for (const id of ids.stdout.split('\n').filter(Boolean)) {
    ctr('tasks', 'kill', '-s', 'SIGKILL', id);
    ctr('tasks', 'delete', '-f', id);
    ctr('containers', 'delete', id);
  }
}

export interface Status {
  up: boolean;
  components: Record<Component, number | undefined>;
  node?: NodeStatus;
  kubeconfig: string;
}

export function status(p: Paths = paths()): Status {
  const components = Object.fromEntries(COMPONENTS.map((name) => [name, componentPid(p, name)])) as Record<Component, number | undefined>;
  const node = nodeStatusIfUp(p);
  const result: Status = { up: Boolean(node?.ready) && Object.values(components).every((pid) => pid !== undefined), components, kubeconfig: p.kubeconfig };
  if (node) result.node = node;
  return result;
}

/**
 * Loads images into the node: `docker save` or OCI archives, or image references the local Docker
 * engine has. Prints each reference's repository@digest, the pin a manifest can use for it.
 */
export function load(sources: string[], log: Log, print: (line: string) => void, p: Paths = paths()): void {
  requireRoot();
  if (componentPid(p, 'containerd') === undefined) throw new ClusterError('the cluster is not up (npm run cluster -- up)');
  for (const source of sources) {
    if (existsSync(source) && statSync(source).isFile()) {
      importArchive(p, source);
      log(`imported ${source}`);
      continue;
    }
    const dir = join(p.state, 'images');
    mkdirSync(dir, { recursive: true });
    const archive = join(dir, 'docker-save.tar');
    const reference = normalizeReference(source);
    must('docker', ['save', '-o', archive, source], { timeoutMs: 600_000 });
    try {
      importArchive(p, archive, repositoryOf(reference));
    } finally {
      rmSync(archive, { force: true });
    }
    const digest = imageDigest(p, reference);
    log(`loaded ${source} (${digest})`);
    print(`${repositoryOf(source)}@${digest}`);
  }
}
