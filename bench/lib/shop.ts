import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, type Ports, type ProcessSpec, repoRoot, type ServiceName, SERVICES, stackSpecs } from '@qoslab/native-stack';
import { CURATED_INSTRUMENTATIONS, type CuratedInstrumentation } from '@qoslab/telemetry';
import { track } from './cleanup';
import { pinned } from './cpus';
import { MemoryCgroups } from './memory-cgroup';

/**
 * How a service is started:
 * - curated: the kit's preload, @qoslab/telemetry/register (the curated instrumentation set);
 * - off: the same preload with OTEL_SDK_DISABLED=true, which loads nothing;
 * - all: every default auto-instrumentation, @opentelemetry/auto-instrumentations-node/register;
 * - no-runtime-node: the curated set less one instrumentation (OTEL_NODE_DISABLED_INSTRUMENTATIONS);
 * - sampled: the curated set keeping 10% of the traces (parent-based trace-id ratio sampler);
 * - curated-cached, off-cached: curated and off with Node's on-disk compile cache (NODE_COMPILE_CACHE),
 *   primed by an earlier start;
 * - contained, contained-large: curated, each service in a memory cgroup (ShopOptions.containedLimitsMiB)
 *   with the memory settings of the images (services/Dockerfile), as in a container;
 * - sdk-only: the SDK, its context manager and exporters, no instrumentation;
 * - unsampled: the curated set with the always_off sampler: every span is created non-recording, none
 *   exported; the metrics are recorded;
 * - bare, bare-http, bare-http-client: the curated set, or one instrumentation of it (the kit's http-server,
 *   http-client), with nothing recorded: the always_off sampler and no metric exporter (so no meter
 *   provider): what the instrumentations' hooks cost by themselves;
 * - upstream-bare-http, upstream-bare-undici: what the kit's http-server and http-client replace, the same
 *   way: the upstream register with only instrumentation-http and instrumentation-express, or only
 *   instrumentation-undici, nothing recorded.
 */
export const TELEMETRY_CONFIGS = [
  'curated',
  'off',
  'all',
  'no-runtime-node',
  'sampled',
  'curated-cached',
  'off-cached',
  'contained',
  'contained-large',
  'sdk-only',
  'unsampled',
  'bare',
  'bare-http',
  'bare-http-client',
  'upstream-bare-http',
  'upstream-bare-undici',
] as const;
export type TelemetryConfig = (typeof TELEMETRY_CONFIGS)[number];

export const CONTAINED_CONFIGS = ['contained', 'contained-large'] as const;
export type ContainedConfig = (typeof CONTAINED_CONFIGS)[number];
export const isContained = (config: string): config is ContainedConfig => (CONTAINED_CONFIGS as readonly string[]).includes(config);

export const BACKENDS = ['prometheus', 'jaeger', 'otel-collector', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

const ONLY: Partial<Record<TelemetryConfig, CuratedInstrumentation>> = { 'bare-http': 'http-server', 'bare-http-client': 'http-client' };
const UPSTREAM_ONLY: Partial<Record<TelemetryConfig, string>> = { 'upstream-bare-http': 'http,express', 'upstream-bare-undici': 'undici' };
const NOTHING_RECORDED = { OTEL_TRACES_SAMPLER: 'always_off', OTEL_METRICS_EXPORTER: 'none' };
const UPSTREAM_REGISTER = ['--require', '@opentelemetry/auto-instrumentations-node/register', 'dist/main.js'];

export interface ShopOptions {
  runDir: string;
  metricExportIntervalMs: number;
  /** The run's own ports (free ones), so the benchmark runs beside another stack. */
  ports: Ports;
  /** The memory limit of each service in the contained configurations. */
  containedLimitsMiB?: Record<ContainedConfig, number>;
  /** Node flags put before the service's own arguments (the profile phase's --cpu-prof). */
  nodeFlags?: Partial<Record<ServiceName, string[]>>;
}

/**
 * The images' memory settings, read from services/Dockerfile: the heap flags of NODE_OPTIONS (V8's heap
 * sized from the container's memory limit) and MALLOC_ARENA_MAX.
 */
export function imageMemorySettings(dockerfile = readFileSync(join(repoRoot, 'services', 'Dockerfile'), 'utf8')): { flags: string[]; env: Record<string, string> } {
  const options = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1];
  const arenas = /MALLOC_ARENA_MAX=(\d+)/.exec(dockerfile)?.[1];
  if (options === undefined) throw new Error('services/Dockerfile sets no NODE_OPTIONS');
  const flags = options.split(/\s+/).filter((flag) => /^--max-(old|semi)-space/.test(flag));
  return { flags, env: arenas ? { MALLOC_ARENA_MAX: arenas } : {} };
}

function stackSpec(name: string, options: ShopOptions): ProcessSpec {
  const [spec] = stackSpecs({
    runDir: options.runDir,
    traffic: false,
    metricExportIntervalMs: options.metricExportIntervalMs,
    ports: options.ports,
    only: [name],
  });
  if (!spec) throw new Error(`the native stack has no program ${name}`);
  return spec;
}

export const url = (ports: Ports, program: keyof Ports, path = '') => `http://127.0.0.1:${ports[program]}${path}`;

/** The native stack's spec for one service, started with the given telemetry configuration. */
export function serviceSpec(name: ServiceName, config: TelemetryConfig, options: ShopOptions): ProcessSpec {
  const base = stackSpec(name, options);
  // Fault injection is on in the native stack for the lab; the benchmark measures the default (off).
  const env: NodeJS.ProcessEnv = { ...base.env, FAULT_INJECTION_ENABLED: 'false' };
  let args = base.args;
  switch (config) {
    case 'curated':
      break;
    case 'off':
      env.OTEL_SDK_DISABLED = 'true';
      break;
    case 'sampled':
      env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
      env.OTEL_TRACES_SAMPLER_ARG = '0.1';
      break;
    case 'curated-cached':
      env.NODE_COMPILE_CACHE = join(options.runDir, 'compile-cache');
      break;
    case 'off-cached':
      env.NODE_COMPILE_CACHE = join(options.runDir, 'compile-cache');
      env.OTEL_SDK_DISABLED = 'true';
      break;
    case 'contained':
    case 'contained-large': {
      const image = imageMemorySettings();
      args = [...image.flags, ...base.args];
      Object.assign(env, image.env);
      break;
    }
    case 'all':
      args = UPSTREAM_REGISTER;
      break;
    case 'upstream-bare-http':
    case 'upstream-bare-undici':
      args = UPSTREAM_REGISTER;
      Object.assign(env, NOTHING_RECORDED, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: UPSTREAM_ONLY[config] });
      break;
    case 'no-runtime-node':
      env.OTEL_NODE_DISABLED_INSTRUMENTATIONS = 'runtime-node' satisfies CuratedInstrumentation;
      break;
    case 'sdk-only':
      env.OTEL_NODE_DISABLED_INSTRUMENTATIONS = CURATED_INSTRUMENTATIONS.join(',');
      break;
    case 'unsampled':
      env.OTEL_TRACES_SAMPLER = 'always_off';
      break;
    case 'bare':
      Object.assign(env, NOTHING_RECORDED);
      break;
    case 'bare-http':
    case 'bare-http-client':
      Object.assign(env, NOTHING_RECORDED, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: ONLY[config] });
      break;
  }
  return pinned({ ...base, name: `${name}-${config}`, args: [...(options.nodeFlags?.[name] ?? []), ...args], env }, 'services');
}

export function backendSpec(name: Backend, options: ShopOptions & { dataDir?: string }): ProcessSpec {
  const spec = pinned(stackSpec(name, options), 'others');
  if (name === 'postgres' && options.dataDir) return { ...spec, env: { ...spec.env, PGDATA: options.dataDir } };
  return spec;
}

/** One running set of the five shop services (and a fresh PostgreSQL), all in one telemetry configuration. */
export class Shop {
  private readonly untrack: () => void;

  private constructor(
    readonly config: TelemetryConfig,
    readonly processes: Map<ServiceName | 'postgres', ManagedProcess>,
    private readonly dataDir: string,
    private readonly cgroups?: MemoryCgroups,
  ) {
    this.untrack = track(() => this.stop());
  }

  static async start(config: TelemetryConfig, label: string, options: ShopOptions & { logDir: string }): Promise<Shop> {
    const dataDir = join(options.runDir, 'pgdata', label);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(join(options.runDir, 'pgdata'), { recursive: true });
    const postgres = new ManagedProcess(backendSpec('postgres', { ...options, dataDir }), options.logDir);
    const processes = new Map<ServiceName | 'postgres', ManagedProcess>([['postgres', postgres]]);
    const limit = isContained(config) ? options.containedLimitsMiB?.[config] : undefined;
    if (isContained(config) && limit === undefined) throw new Error(`no memory limit for the ${config} configuration`);
    const cgroups = limit !== undefined ? new MemoryCgroups(label, limit) : undefined;
    for (const name of SERVICES) {
      const spec = serviceSpec(name, config, options);
      processes.set(name, new ManagedProcess(cgroups ? cgroups.wrap(spec, name) : spec, options.logDir));
    }
    const shop = new Shop(config, processes, dataDir, cgroups);
    try {
      postgres.start();
      await postgres.waitReady(60_000);
      for (const name of SERVICES) processes.get(name)?.start();
      await Promise.all(SERVICES.map((name) => processes.get(name)?.waitReady(90_000)));
    } catch (error) {
      await shop.stop();
      throw error;
    }
    return shop;
  }

  pids(): Map<ServiceName, number> {
    const out = new Map<ServiceName, number>();
    for (const name of SERVICES) {
      const pid = this.processes.get(name)?.pid;
      if (pid === undefined) throw new Error(`${name} is not running`);
      out.set(name, pid);
    }
    return out;
  }

  /** Memory-limit events of each service, in the `contained` configuration; undefined otherwise. */
  memoryEvents(): Map<ServiceName, { limitHits: number; oomKills: number }> | undefined {
    const cgroups = this.cgroups;
    if (!cgroups) return undefined;
    return new Map(SERVICES.map((name) => [name, cgroups.events(name)]));
  }

  /** Throws when a program of the shop has exited: a crash must not pass for a slow run. */
  assertRunning(): void {
    for (const managed of this.processes.values()) {
      if (!managed.running) throw new Error(`${managed.name} exited during the benchmark:\n${managed.tail()}`);
    }
  }

  async stop(): Promise<void> {
    this.untrack();
    await Promise.all(SERVICES.map((name) => this.processes.get(name)?.stop()));
    await this.processes.get('postgres')?.stop();
    this.cgroups?.remove();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
