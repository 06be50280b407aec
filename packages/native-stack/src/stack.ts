import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolPath } from './toolchain';
import { SERVICE_PORTS, SERVICES, type ServiceName } from '@qoslab/contracts';
import { busyPorts, freePort, ManagedProcess, type ProcessSpec } from './process';

export const PORTS = {
  ...SERVICE_PORTS,
  postgres: 55432,
  otlpGrpc: 4317,
  otlpHttp: 4318,
  collectorHealth: 13133,
  collectorMetrics: 8888,
  jaegerQuery: 16686,
  jaegerHealth: 14133,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  jaegerQueryGrpc: 16685,
  prometheus: 9090,
} as const;

export type Ports = { -readonly [name in keyof typeof PORTS]: number };

/** A free loopback port for every program of the stack, so a test stack runs beside `npm run stack`. */
export async function freePorts(): Promise<Ports> {
  const ports = {} as Ports;
  for (const name of Object.keys(PORTS) as (keyof Ports)[]) ports[name] = await freePort();
  return ports;
}

const LOOPBACK = '127.0.0.1';
const http = (port: number, path: string) => `http://${LOOPBACK}:${port}${path}`;

export const URLS = {
  shop: http(PORTS.gateway, '/'),
  console: http(PORTS.console, '/'),
  jaeger: http(PORTS.jaegerQuery, '/'),
  jaegerApi: http(PORTS.jaegerQuery, '/api'),
  prometheus: http(PORTS.prometheus, ''),
  collectorHealth: http(PORTS.collectorHealth, '/'),
  collectorMetrics: http(PORTS.collectorMetrics, '/metrics'),
  worker: http(PORTS.worker, ''),
  postgres: `postgres://postgres:postgres@${LOOPBACK}:${PORTS.postgres}/postgres`,
} as const;

export { SERVICES, type ServiceName };

export interface StackOptions {
  /** Where logs and data go; each process logs to <runDir>/logs/<name>.log. */
  runDir?: string;
  /** Start the low-rate k6 traffic generator (default true). */
  traffic?: boolean;
  /** OTEL_METRIC_EXPORT_INTERVAL of the services (default 10000, the demo's interval). */
  metricExportIntervalMs?: number;
  /** Extra environment for every shop service. */
  serviceEnv?: Record<string, string>;
  /** Extra environment for one shop service, over serviceEnv. */
  envOf?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Other ports than PORTS, for example free ones so a test stack runs beside `npm run stack`. */
  ports?: Partial<Ports>;
  /** Only these programs (by name) are part of the stack; default all. */
  only?: readonly string[];
  /** Called as each program becomes ready. */
  onReady?: (name: string, elapsedMs: number) => void;
}

export interface Stack {
  readonly ports: Ports;
  readonly processes: Map<string, ManagedProcess>;
  process(name: string): ManagedProcess;
  /** Stops everything, the traffic first and the backends last. */
  stop(): Promise<void>;
}

function serviceSpec(name: ServiceName, options: StackOptions, ports: Ports): ProcessSpec {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOST: LOOPBACK,
    PORT: String(ports[name]),
    LOG_LEVEL: 'info',
    FAULT_INJECTION_ENABLED: 'true',
    OTEL_SERVICE_NAME: name,
    OTEL_EXPORTER_OTLP_ENDPOINT: http(ports.otlpHttp, ''),
    OTEL_METRIC_EXPORT_INTERVAL: String(options.metricExportIntervalMs ?? 10_000),
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=native',
    CATALOG_URL: http(ports.catalog, ''),
    ORDERS_URL: http(ports.orders, ''),
    PAYMENTS_URL: http(ports.payments, ''),
    ...(name === 'orders' ? { DATABASE_URL: postgresUrl(ports), DATABASE_POOL_MAX: '1' } : {}),
    ...(name === 'gateway' ? { CONSOLE_URL: http(ports.console, '/') } : {}),
    ...options.serviceEnv,
    ...options.envOf?.[name],
  };
  return {
    name,
    command: process.execPath,
    args: ['--require', '@qoslab/telemetry/register', 'dist/main.js'],
    cwd: join(repoRoot, 'services', name),
    env,
    ready: { http: http(ports[name], '/readyz') },
    listens: [ports[name]],
  };
}

/**
 * The shipped Prometheus configuration, copied into the run directory with the Collector's metrics
 * address of this stack in targets/otel-collector.yml (the one per-environment file).
 */
function prometheusConfig(runDir: string, ports: Ports): string {
  const dir = join(runDir, 'prometheus-config');
  cpSync(join(repoRoot, 'observability', 'prometheus'), dir, { recursive: true });
  writeFileSync(join(dir, 'targets', 'otel-collector.yml'), `- targets: ['${LOOPBACK}:${ports.collectorMetrics}']\n`);
  return join(dir, 'prometheus.yml');
}

const postgresUrl = (ports: Ports) => `postgres://postgres:postgres@${LOOPBACK}:${ports.postgres}/postgres`;

/** Every program of the native stack, in start order. */
export function stackSpecs(options: StackOptions = {}): ProcessSpec[] {
  const runDir = options.runDir ?? join(repoRoot, '.run', 'stack');
  const ports: Ports = { ...PORTS, ...options.ports };
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  // Lazy, so a subset does not build tools it does not run.
  const specs: Array<[string, () => ProcessSpec]> = [
    ['prometheus', () => ({
      name: 'prometheus',
      command: toolPath('prometheus'),
      args: [
        `--config.file=${prometheusConfig(runDir, ports)}`,
        `--storage.tsdb.path=${join(runDir, 'prometheus')}`,
        `--web.listen-address=${LOOPBACK}:${ports.prometheus}`,
        '--web.enable-otlp-receiver',
        '--web.enable-remote-write-receiver',
        '--enable-feature=exemplar-storage',
        '--storage.tsdb.retention.time=1d',
      ],
      env: base,
      ready: { http: http(ports.prometheus, '/-/ready') },
      listens: [ports.prometheus],
    })],
    ['jaeger', () => ({
      name: 'jaeger',
      command: toolPath('jaeger'),
      args: ['--config', join(repoRoot, 'observability', 'jaeger', 'config.yaml')],
      env: {
        ...base,
        JAEGER_LISTEN_HOST: LOOPBACK,
        JAEGER_QUERY_PORT: String(ports.jaegerQuery),
        JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
        JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
        JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
        JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
      },
      ready: { http: http(ports.jaegerQuery, '/api/services') },
      listens: [ports.jaegerQuery, ports.jaegerQueryGrpc, ports.jaegerHealth, ports.jaegerOtlpGrpc, ports.jaegerOtlpHttp],
    })],
    ['otel-collector', () => ({
      name: 'otel-collector',
      command: toolPath('otelcol'),
      args: [`--config=${join(repoRoot, 'otel-collector', 'config.yaml')}`],
      env: {
        ...base,
        OTELCOL_BIND_HOST: LOOPBACK,
        OTELCOL_OTLP_GRPC_PORT: String(ports.otlpGrpc),
        OTELCOL_OTLP_HTTP_PORT: String(ports.otlpHttp),
        OTELCOL_HEALTH_PORT: String(ports.collectorHealth),
        OTELCOL_METRICS_PORT: String(ports.collectorMetrics),
        JAEGER_OTLP_ENDPOINT: `${LOOPBACK}:${ports.jaegerOtlpGrpc}`,
        PROMETHEUS_OTLP_URL: http(ports.prometheus, '/api/v1/otlp/v1/metrics'),
      },
      ready: { http: http(ports.collectorHealth, '/') },
      listens: [ports.otlpGrpc, ports.otlpHttp, ports.collectorHealth, ports.collectorMetrics],
    })],
    ['postgres', () => ({
      name: 'postgres',
      command: process.execPath,
      args: [join(repoRoot, 'packages', 'embedded-postgres', 'dist', 'cli.js')],
      env: { ...base, PGDATA: join(runDir, 'pgdata'), HOST: LOOPBACK, PORT: String(ports.postgres) },
      ready: { tcp: { host: LOOPBACK, port: ports.postgres } },
      listens: [ports.postgres],
    })],
    ...SERVICES.map((name): [string, () => ProcessSpec] => [name, () => serviceSpec(name, options, ports)]),
    ['console', () => ({
      name: 'console',
      command: process.execPath,
      args: ['dist/main.js'],
      cwd: join(repoRoot, 'services', 'console'),
      env: {
        ...base,
        HOST: LOOPBACK,
        PORT: String(ports.console),
        JAEGER_URL: http(ports.jaegerQuery, ''),
        PROMETHEUS_URL: http(ports.prometheus, ''),
      },
      ready: { http: http(ports.console, '/readyz') },
      listens: [ports.console],
    })],
  ];
  if (options.traffic ?? true) {
    specs.push(['traffic', () => ({
      name: 'traffic',
      command: toolPath('k6'),
      args: ['run', '--quiet', '--no-usage-report', '--tag', 'testid=stack-traffic', join(repoRoot, 'loadtest', 'shop-journey.js')],
      env: {
        ...base,
        BASE_URL: http(ports.gateway, ''),
        // One virtual user walking the shop journey (with its think times): about one order a few seconds.
        LOAD_SHAPE: 'soak',
        LOAD_VUS: '1',
        LOAD_DURATION: '24h',
        K6_NO_THRESHOLDS: 'true',
        // k6's own metrics beside the services' in Prometheus, as in compose and Kubernetes.
        K6_OUT: 'experimental-prometheus-rw',
        K6_PROMETHEUS_RW_SERVER_URL: http(ports.prometheus, '/api/v1/write'),
        K6_PROMETHEUS_RW_TREND_STATS: 'p(95),p(99)',
        K6_PROMETHEUS_RW_STALE_MARKERS: 'true',
      },
      ready: { logLine: /./s },
    })]);
  }
  return specs.filter(([name]) => !options.only || options.only.includes(name)).map(([, spec]) => spec());
}

/**
 * Starts the native stack: every program as a local process on loopback, all at once (each service
 * retries its dependencies), then waits until each one is ready. On failure everything started is stopped.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const runDir = options.runDir ?? join(repoRoot, '.run', 'stack');
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const specs = stackSpecs({ ...options, runDir });
  const busy = await busyPorts(specs.flatMap((spec) => spec.listens ?? []));
  if (busy.length > 0) {
    throw new Error(`port ${busy.join(', ')} already in use on 127.0.0.1: is another stack (or \`npm run stack\`) running? Stop it first.`);
  }
  const processes = new Map(specs.map((spec) => [spec.name, new ManagedProcess(spec, logDir)]));

  const stack: Stack = {
    ports: { ...PORTS, ...options.ports },
    processes,
    process: (name) => {
      const found = processes.get(name);
      if (!found) throw new Error(`no process ${name} in the stack`);
      return found;
    },
    stop: async () => {
      // Traffic first, then the services (their last telemetry still reaches the Collector), then
      // the backends in reverse start order, so the Collector flushes before Jaeger and Prometheus stop.
      const all = [...processes.values()];
      const services = all.filter((managed) => (SERVICES as readonly string[]).includes(managed.name));
      await processes.get('traffic')?.stop();
      await Promise.all(services.map((managed) => managed.stop()));
      for (const managed of all.reverse()) if (managed.name !== 'traffic' && !services.includes(managed)) await managed.stop();
    },
  };

  const started = Date.now();
  try {
    const backgroundTraffic = processes.get('traffic');
    for (const managed of processes.values()) if (managed !== backgroundTraffic) managed.start();
    await Promise.all(
      [...processes.values()]
        .filter((managed) => managed !== backgroundTraffic)
        .map(async (managed) => {
          await managed.waitReady(90_000);
          options.onReady?.(managed.name, Date.now() - started);
        }),
    );
    if (backgroundTraffic) {
      backgroundTraffic.start();
      options.onReady?.(backgroundTraffic.name, Date.now() - started);
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
