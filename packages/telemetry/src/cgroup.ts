import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A snapshot of the container's own cgroup. Fields are absent when the kernel does not provide them. */
export interface CgroupStats {
  memoryUsageBytes?: number;
  memoryLimitBytes?: number;
  memoryEvents?: Record<string, number>;
  cpuUsageSeconds?: number;
  cpuPeriods?: number;
  cpuThrottledPeriods?: number;
  cpuThrottledSeconds?: number;
  pressureStallSeconds?: { resource: 'cpu' | 'memory' | 'io'; scope: 'some' | 'full'; seconds: number }[];
}

export interface CgroupSource {
  version: 1 | 2;
  /** v2: the one directory; v1: one directory per controller. */
  dirs: Partial<Record<'unified' | 'memory' | 'cpu' | 'cpuacct', string>>;
}

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

const UNLIMITED_V1 = 2 ** 62;

function parseMountInfo(text: string): Mount[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [fsType = '', , options = ''] = right.split(' ');
      return { root: fields[3] ?? '', mountPoint: fields[4] ?? '', fsType, superOptions: options.split(',') };
    });
}

function parseProcCgroup(text: string): Map<string, string> {
  const byController = new Map<string, string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const path = line.slice(second + 1);
    for (const controller of line.slice(first + 1, second).split(',')) byController.set(controller, path);
  }
  return byController;
}

/**
 * Finds the cgroup directories of this process when it runs in a container: the process's cgroup is
 * the root of the hierarchy mounted into its mount namespace, and that is not the host's root cgroup.
 * Outside a container (or when the cgroup files are not mounted) it returns undefined.
 */
export function findContainerCgroup(
  procRoot = '/proc/self',
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  exists: (path: string) => boolean = existsSync,
): CgroupSource | undefined {
  let mounts: Mount[];
  let membership: Map<string, string>;
  try {
    mounts = parseMountInfo(read(join(procRoot, 'mountinfo')));
    membership = parseProcCgroup(read(join(procRoot, 'cgroup')));
  } catch {
    return undefined;
  }

  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const v1Memory = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (!v1Memory && unified) {
    const path = membership.get('');
    if (path !== unified.root) return undefined;
    if (!exists(join(unified.mountPoint, 'memory.current'))) return undefined;
    return { version: 2, dirs: { unified: unified.mountPoint } };
  }
  if (!v1Memory) return undefined;

  const dirs: CgroupSource['dirs'] = {};
  for (const controller of ['memory', 'cpu', 'cpuacct'] as const) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    const path = membership.get(controller);
    if (mount && path && path !== '/' && path === mount.root) dirs[controller] = mount.mountPoint;
  }
  return dirs.memory ? { version: 1, dirs } : undefined;
}

function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

function parsePressure(text: string): { scope: 'some' | 'full'; seconds: number }[] {
  const out: { scope: 'some' | 'full'; seconds: number }[] = [];
  for (const line of text.split('\n')) {
    const scope = line.startsWith('some ') ? 'some' : line.startsWith('full ') ? 'full' : undefined;
    const total = /total=(\d+)/.exec(line)?.[1];
    if (scope && total) out.push({ scope, seconds: Number(total) / 1e6 });
  }
  return out;
}

export function readCgroupStats(
  source: CgroupSource,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CgroupStats {
  const tryRead = (dir: string | undefined, file: string): string | undefined => {
    if (!dir) return undefined;
    try {
      return read(join(dir, file));
    } catch {
      return undefined;
    }
  };
  const num = (text: string | undefined): number | undefined => {
    const value = text?.trim();
    return value && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  const stats: CgroupStats = {};

  if (source.version === 2) {
    const dir = source.dirs.unified;
    stats.memoryUsageBytes = num(tryRead(dir, 'memory.current'));
    stats.memoryLimitBytes = num(tryRead(dir, 'memory.max'));
    const events = tryRead(dir, 'memory.events');
    if (events) stats.memoryEvents = keyValues(events);
    const cpu = tryRead(dir, 'cpu.stat');
    if (cpu) {
      const kv = keyValues(cpu);
      if (kv.usage_usec !== undefined) stats.cpuUsageSeconds = kv.usage_usec / 1e6;
      stats.cpuPeriods = kv.nr_periods;
      stats.cpuThrottledPeriods = kv.nr_throttled;
      if (kv.throttled_usec !== undefined) stats.cpuThrottledSeconds = kv.throttled_usec / 1e6;
    }
    const pressure: NonNullable<CgroupStats['pressureStallSeconds']> = [];
    for (const resource of ['cpu', 'memory', 'io'] as const) {
      const text = tryRead(dir, `${resource}.pressure`);
      if (text) for (const entry of parsePressure(text)) pressure.push({ resource, ...entry });
    }
    if (pressure.length > 0) stats.pressureStallSeconds = pressure;
  } else {
    const { memory, cpu, cpuacct } = source.dirs;
    stats.memoryUsageBytes = num(tryRead(memory, 'memory.usage_in_bytes'));
    const limit = num(tryRead(memory, 'memory.limit_in_bytes'));
    if (limit !== undefined && limit < UNLIMITED_V1) stats.memoryLimitBytes = limit;
    const oomControl = tryRead(memory, 'memory.oom_control');
    const failcnt = num(tryRead(memory, 'memory.failcnt'));
    if (oomControl || failcnt !== undefined) {
      const kv = oomControl ? keyValues(oomControl) : {};
      stats.memoryEvents = {};
      if (kv.oom_kill !== undefined) stats.memoryEvents.oom_kill = kv.oom_kill;
      if (failcnt !== undefined) stats.memoryEvents.max = failcnt;
    }
    const usageNs = num(tryRead(cpuacct ?? cpu, 'cpuacct.usage'));
    if (usageNs !== undefined) stats.cpuUsageSeconds = usageNs / 1e9;
    const cpuStat = tryRead(cpu, 'cpu.stat');
    if (cpuStat) {
      const kv = keyValues(cpuStat);
      stats.cpuPeriods = kv.nr_periods;
      stats.cpuThrottledPeriods = kv.nr_throttled;
      if (kv.throttled_time !== undefined) stats.cpuThrottledSeconds = kv.throttled_time / 1e9;
    }
  }
  return stats;
}
