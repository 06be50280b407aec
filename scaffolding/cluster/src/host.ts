// What `up` needs of the host, what it changes there, and how `down` puts it back.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterError, must, run } from './exec';
import { NETWORK } from './settings';

/** Global settings the kubelet writes at start (pkg/kubelet/cm setupKernelTunables), and the host's forwarding. */
const HOST_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
] as const;

const sysctlPath = (name: string): string => join('/proc/sys', ...name.split('.'));

function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of HOST_SYSCTLS) {
    const path = sysctlPath(name);
    if (existsSync(path)) values[name] = readFileSync(path, 'utf8').trim();
  }
  return values;
}

/** Writes back every recorded value that differs now; returns the names it changed. */
export function restoreSysctls(recorded: Record<string, string>): string[] {
  const changed: string[] = [];
  const now = readSysctls();
  for (const [name, value] of Object.entries(recorded)) {
    if (now[name] === value) continue;
    writeFileSync(sysctlPath(name), `${value}\n`);
    changed.push(`${name}=${value} (was ${now[name]})`);
  }
  return changed;
}

/** iptables-save without packet counters, so two snapshots of an unchanged host compare equal. */
export function hostIptables(): string {
  const result = run('iptables-save', []);
  if (result.status !== 0) return '';
  return result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n');
}

/** `ip netns add` turns /run/netns into a shared bind mount of itself the first time. */
export type NetnsDir = 'absent' | 'directory' | 'mount';

function netnsDir(): NetnsDir {
  if (!existsSync('/run/netns')) return 'absent';
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === '/run/netns');
  return mounted ? 'mount' : 'directory';
}

/** Puts /run/netns back as it was, once no namespace is left in it. */
export function restoreNetnsDir(before: NetnsDir): string | undefined {
  const now = netnsDir();
  if (now === before || readdirSync('/run/netns').length > 0) return undefined;
  if (now === 'mount' && run('umount', ['/run/netns']).status !== 0) return undefined;
  if (before === 'absent') rmdirSync('/run/netns');
  return `/run/netns (${before})`;
}

export interface HostSettings {
  sysctls: Record<string, string>;
  iptables: string;
  netnsDir: NetnsDir;
  recordedAt: string;
}

export function recordHost(file: string): HostSettings {
  const settings: HostSettings = { sysctls: readSysctls(), iptables: hostIptables(), netnsDir: netnsDir(), recordedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return settings;
}

export function readRecordedHost(file: string): HostSettings | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as HostSettings;
}

/** CAP_SYS_RESOURCE (bit 24) in the capability bounding set: without it no process can lower oom_score_adj. */
export function hasCapSysResource(status = readFileSync('/proc/self/status', 'utf8')): boolean {
  const match = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!match?.[1]) return false;
  return (BigInt(`0x${match[1]}`) & (1n << 24n)) !== 0n;
}

export interface CgroupLayout {
  version: 1 | 2;
  /** Every hierarchy the kubelet writes pod cgroups into (v1: one per mounted controller set; v2: the root). */
  hierarchies: string[];
  /** The hierarchy `up` tracks its own processes in. */
  tracking: string;
}

/** The cgroup hierarchies of this machine, or why the kubelet cannot use them. */
export function cgroupLayout(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'), root = process.env.QOSLAB_CLUSTER_CGROUP_ROOT ?? '/sys/fs/cgroup'): CgroupLayout {
  const mounts = mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const [fsType = '', , options = ''] = right.split(' ');
      return { mountPoint: left.split(' ')[4] ?? '', fsType, options: options.split(',') };
    })
    .filter((m) => m.mountPoint.startsWith(`${root}/`) || m.mountPoint === root);
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  if (v1.length > 0) {
    const controller = (name: string) => v1.find((m) => m.options.includes(name));
    for (const name of ['cpu', 'cpuacct', 'memory', 'pids', 'cpuset']) {
      if (!controller(name)) throw new ClusterError(`no usable cgroup: the cgroup v1 '${name}' controller is not mounted under ${root}`);
    }
    return { version: 1, hierarchies: v1.map((m) => m.mountPoint), tracking: controller('pids')!.mountPoint };
  }
  const unified = mounts.find((m) => m.fsType === 'cgroup2' && m.mountPoint === root);
  if (!unified) throw new ClusterError(`no usable cgroup: nothing is mounted at ${root} (cgroup v1 controllers or cgroup v2)`);
  const controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  for (const name of ['cpu', 'memory', 'pids']) {
    if (!controllers.includes(name)) throw new ClusterError(`no usable cgroup: the cgroup v2 '${name}' controller is not available at ${root}`);
  }
  return { version: 2, hierarchies: [root], tracking: root };
}

/** Addresses this host already uses or names: its interfaces, routes, name servers and /etc/hosts. */
function hostAddresses(): { source: string; cidr: string }[] {
  const found: { source: string; cidr: string }[] = [];
  for (const line of must('ip', ['-o', '-4', 'addr', 'show']).split('\n')) {
    const match = /^\d+: (\S+)\s+inet (\S+)/.exec(line);
    if (match) found.push({ source: `interface ${match[1]}`, cidr: match[2]!.includes('/') ? match[2]! : `${match[2]}/32` });
  }
  for (const line of must('ip', ['-4', 'route', 'show']).split('\n').filter(Boolean)) {
    const [destination = '', ...rest] = line.split(' ');
    const via = /\bvia (\S+)/.exec(line)?.[1];
    if (via) found.push({ source: `the gateway of route "${line.trim()}"`, cidr: `${via}/32` });
    if (destination !== 'default') found.push({ source: `route "${line.trim()}"`, cidr: destination.includes('/') ? destination : `${destination}/32` });
    void rest;
  }
  const ipv4 = /\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g;
  for (const file of ['/etc/resolv.conf', '/etc/hosts']) {
    if (!existsSync(file)) continue;
    for (const match of readFileSync(file, 'utf8').replace(/#.*$/gm, '').matchAll(ipv4)) found.push({ source: file, cidr: `${match[1]}/32` });
  }
  return found;
}

/** Names and addresses the cluster takes on the host: refuses if any is in use. */
export function checkHostNetwork(): void {
  const links = must('ip', ['-o', 'link', 'show']);
  if (new RegExp(`^\\d+: ${NETWORK.hostInterface}[@:]`, 'm').test(links)) {
    throw new ClusterError(`interface ${NETWORK.hostInterface} exists already: a cluster is up or was left behind (npm run cluster -- down)`);
  }
  const ours = [`${NETWORK.hostAddress}/32`, `${NETWORK.nodeAddress}/32`];
  for (const used of hostAddresses()) {
    if (used.cidr.startsWith('127.')) continue;
    const clash = ours.find((cidr) => overlaps(cidr, used.cidr));
    if (clash) throw new ClusterError(`address ${clash.replace('/32', '')} is taken on this host (${used.source}); the cluster needs ${NETWORK.hostAddress} and ${NETWORK.nodeAddress}`);
  }
}

function parseCidr(cidr: string): [number, number] {
  const [address = '', bits = '32'] = cidr.split('/');
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return [value, Number(bits)];
}

/** Whether two IPv4 CIDRs share an address. */
function overlaps(a: string, b: string): boolean {
  const [x, xBits] = parseCidr(a);
  const [y, yBits] = parseCidr(b);
  const bits = Math.min(xBits, yBits);
  const size = 2 ** (32 - bits);
  return Math.floor(x / size) === Math.floor(y / size);
}

export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ClusterError('must run as root: it starts containerd and the kubelet, creates a network namespace and cgroups (sudo npm run cluster -- up)');
  }
}

/** Debian packages the cluster runs (containerd, runc, CNI plugins, etcd, iptables, ...), and the command each provides. */
const PACKAGES: Record<string, string> = {
  containerd: 'containerd',
  runc: 'runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  'etcd-server': 'etcd',
  iptables: 'iptables',
  ipset: 'ipset',
  conntrack: 'conntrack',
  socat: 'socat',
  openssl: 'openssl',
  iproute2: 'ip',
  curl: 'curl',
};

const present = (command: string): boolean => (command.startsWith('/') ? existsSync(command) : run('sh', ['-c', `command -v ${command}`]).status === 0);

/** Installs the missing packages with apt-get, without starting their services (etcd, containerd). */
export function ensurePackages(log: (line: string) => void): void {
  const missing = Object.entries(PACKAGES).filter(([, command]) => !present(command)).map(([name]) => name);
  if (missing.length === 0) return;
  if (!present('apt-get')) throw new ClusterError(`missing ${missing.join(', ')} and there is no apt-get to install them; install them and run again`);
  log(`installing Debian's ${missing.join(', ')} (apt-get)`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const args = ['install', '-y', '-q', '--no-install-recommends', ...missing];
    if (run('apt-get', args, { env, timeoutMs: 900_000 }).status !== 0) {
      must('apt-get', ['update', '-q'], { env, timeoutMs: 900_000 });
      must('apt-get', args, { env, timeoutMs: 900_000 });
    }
  } finally {
    if (ownPolicy) run('rm', ['-f', policy]);
  }
  // A package may still have started its daemon where a service manager runs: the cluster starts its own.
  for (const service of ['etcd', 'containerd']) {
    if (existsSync('/run/systemd/system')) run('systemctl', ['disable', '--now', service]);
  }
}
