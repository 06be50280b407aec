// Shared by the test/compose suites: the machine's Compose command, the compose file as Compose
// resolves it, the local images, and reading a container's cgroup through `docker exec`.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { findContainerCgroup, readCgroupStats, type CgroupStats } from '@qoslab/telemetry/cgroup';
import { repoRoot } from '@qoslab/native-stack';
import { run, type RunResult } from '../pipeline/support';

export { repoRoot };
export const composeFile = join(repoRoot, 'docker-compose.yml');
const imagesDir = join(repoRoot, 'scaffolding', 'images');

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs a command and fails with its output unless it exits 0; returns stdout. */
export function ok(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  const result = run(command, args, { ...options, cwd: repoRoot });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
  }
  return result.stdout;
}

let composeArgv: string[] | undefined;
/** `docker compose` or `docker-compose` (scaffolding/images/engine.sh compose installs Compose 1.29 if there is none). */
function composeCommand(): string[] {
  composeArgv ??= ok('bash', [join(imagesDir, 'engine.sh'), 'compose'], { timeoutMs: 600_000 }).trim().split(' ');
  return composeArgv;
}

/**
 * The environment Compose sees: this process's, without any variable the compose file reads, so a
 * developer's shell cannot change what the test runs, plus `vars`.
 */
export function composeEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/_IMAGE$|^QOSLAB_.*_PORT$|^(LOAD_|QOS_|FAULTS_|TRAFFIC_|JAEGER_MAX|PROMETHEUS_RET|FAULT_INJ|COMPOSE_)/.test(name)) env[name] = value;
  }
  return { ...env, ...vars };
}

/** `<compose> -f docker-compose.yml -p project args...` (builds print megabytes: a large buffer). */
export function compose(project: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): RunResult {
  const [command, ...pre] = composeCommand();
  const result = spawnSync(command!, [...pre, '-f', composeFile, '-p', project, ...args], {
    env,
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function composeOk(project: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): string {
  const result = compose(project, args, env, timeoutMs);
  if (result.status !== 0) {
    throw new Error(`compose ${args.join(' ')} exited ${result.status}\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-6000)}`);
  }
  return result.stdout;
}

/** The compose file as Compose resolves it (interpolated, merged), with every profile. */
export function resolvedConfig(vars: Record<string, string> = {}): Obj {
  const text = composeOk('qoslab-config', ['--profile', 'qos', '--profile', 'loadtest', 'config'], composeEnv(vars), 60_000);
  return parseYaml(text) as Obj;
}

export interface Mount {
  source: string;
  target: string;
  read_only: boolean;
}

/** A service's volumes in one form: Compose 1.29 prints `source:target[:ro]`, Compose v2 objects. */
export function mounts(service: Obj): Mount[] {
  return ((service.volumes ?? []) as (string | Obj)[]).map((volume) => {
    if (typeof volume !== 'string') return { source: volume.source as string, target: volume.target as string, read_only: volume.read_only === true };
    const [source = '', target = '', mode = ''] = volume.split(':');
    return { source, target, read_only: mode.split(',').includes('ro') };
  });
}

/** Docker's byte notation (`256m`, `1g`, a number) as bytes, like docker's RAMInBytes. */
export function bytes(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!match) throw new Error(`not a byte size: ${value}`);
  const power = ' kmgt'.indexOf(match[2]!.toLowerCase() || ' ');
  return Math.round(Number(match[1]) * 1024 ** power);
}

export function docker(args: string[], timeoutMs = 60_000): string {
  return ok('docker', args, { timeoutMs });
}

/** The container of a compose service (one replica). */
export function containerOf(project: string, service: string): string {
  const id = docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`]).trim();
  if (!id || id.includes('\n')) throw new Error(`expected one container for ${service}, got "${id}"`);
  return id;
}

export function inspect(container: string): Obj {
  return (JSON.parse(docker(['inspect', container])) as Obj[])[0]!;
}

function execRead(container: string, path: string): string {
  const result = spawnSync('docker', ['exec', container, 'cat', path], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`cannot read ${path} in ${container}: ${result.stderr}`);
  return result.stdout;
}

function execExists(container: string, path: string): boolean {
  return spawnSync('docker', ['exec', container, 'test', '-e', path], { timeout: 10_000 }).status === 0;
}

/**
 * The container's own cgroup, read from inside it: the same code as the services' vital signs
 * (packages/telemetry), with `docker exec cat` as its file reader.
 */
export interface ContainerCgroup {
  version: 1 | 2;
  stats: () => CgroupStats;
  /** The CPU and memory settings the runtime wrote. */
  settings: () => { cpuShares?: number; cpuWeight?: number; cpuQuota: number | null; cpuPeriod: number; memoryMax: number | null };
  oomScoreAdj: () => number;
}

export function containerCgroup(container: string): ContainerCgroup {
  const read = (path: string) => execRead(container, path);
  const source = findContainerCgroup('/proc/1', read, (path) => execExists(container, path));
  if (!source) throw new Error(`no cgroup found inside ${container}`);
  const file = (dir: string | undefined, name: string) => read(join(dir ?? '', name)).trim();
  return {
    version: source.version,
    stats: () => readCgroupStats(source, read),
    settings: () => {
      if (source.version === 2) {
        const [quota = 'max', period = '100000'] = file(source.dirs.unified, 'cpu.max').split(' ');
        const memory = file(source.dirs.unified, 'memory.max');
        return {
          cpuWeight: Number(file(source.dirs.unified, 'cpu.weight')),
          cpuQuota: quota === 'max' ? null : Number(quota),
          cpuPeriod: Number(period),
          memoryMax: memory === 'max' ? null : Number(memory),
        };
      }
      const quota = Number(file(source.dirs.cpu, 'cpu.cfs_quota_us'));
      const memory = Number(file(source.dirs.memory, 'memory.limit_in_bytes'));
      return {
        cpuShares: Number(file(source.dirs.cpu, 'cpu.shares')),
        cpuQuota: quota < 0 ? null : quota,
        cpuPeriod: Number(file(source.dirs.cpu, 'cpu.cfs_period_us')),
        memoryMax: memory >= 2 ** 62 ? null : memory,
      };
    },
    oomScoreAdj: () => Number(read('/proc/1/oom_score_adj').trim()),
  };
}

export { kubeletWorkers, LAB_NODE_MEMORY, QOS_VARIANTS, type QosVariant } from '../lib/qos';

/** Like composeOk, without blocking the event loop (so a test can poll while `up` waits for health). */
export function composeAsync(project: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<string> {
  const [command, ...pre] = composeCommand();
  const child = spawn(command!, [...pre, '-f', composeFile, '-p', project, ...args], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`compose ${args.join(' ')} ended with ${code ?? signal}\n${output}`));
    });
  });
}
