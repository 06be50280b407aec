// Start-up: milliseconds from spawning a service to the first 200 from its /readyz, in each telemetry
// configuration, the configurations interleaved within each repetition. The Collector and PostgreSQL run.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, repoRoot, SERVICES } from '@qoslab/native-stack';
import { track } from '../lib/cleanup';
import { type Context, shopOptions } from '../lib/context';
import type { StartupResults } from '../lib/results';
import { backendSpec, serviceSpec, type TelemetryConfig } from '../lib/shop';
import { pairedRatios, spread } from '../lib/stats';

async function timeStart(context: Context, service: (typeof SERVICES)[number], config: TelemetryConfig): Promise<number> {
  const spec = serviceSpec(service, config, shopOptions(context));
  const managed = new ManagedProcess(spec, context.logDir);
  const untrack = track(() => managed.stop());
  const started = performance.now();
  managed.start();
  try {
    // Every 10 ms: the stack's 200 ms would be too coarse to time a start-up.
    await managed.waitReady(60_000, 10);
    return performance.now() - started;
  } finally {
    await managed.stop();
    untrack();
  }
}

/**
 * Where start-up time goes: a bare node process, one that loads and starts the telemetry preload, and,
 * for comparison, one that only loads the generic @opentelemetry/sdk-node (the kit's register does not
 * use it: it builds the trace and metric SDKs with the one exporter it needs); each from spawn to exit.
 */
const PRELOAD_PROBES = {
  bareNode: ['-e', 'process.exit(0)'],
  register: ['--require', '@qoslab/telemetry/register', '-e', 'process.exit(0)'],
  sdkNodeLoad: [
    '-e',
    "require(require.resolve('@opentelemetry/sdk-node', { paths: [require.resolve('@opentelemetry/auto-instrumentations-node')] })); process.exit(0)",
  ],
} as const;

function timeProbe(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: join(repoRoot, 'packages', 'telemetry'),
    env: { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'bench-probe' },
    stdio: 'ignore',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(' ')} exited with ${code}`))));
  });
}

export async function runStartup(context: Context): Promise<StartupResults> {
  const { configs, repetitions } = context.settings.startup;
  const baseline: TelemetryConfig = 'off';
  if (!configs.includes(baseline)) throw new Error('the start-up configurations must include "off"');
  const dataDir = join(context.runDir, 'pgdata', 'startup');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(context.runDir, 'pgdata'), { recursive: true });
  const postgres = new ManagedProcess(backendSpec('postgres', { ...shopOptions(context), dataDir }), context.logDir);
  const untrack = track(() => postgres.stop());
  postgres.start();
  const times = new Map<string, number[]>();
  const probes = new Map<string, number[]>();
  try {
    await postgres.waitReady(60_000);
    // The compile cache is written by a first start; that start is not measured.
    for (const config of configs.filter((one) => one.endsWith('-cached'))) {
      for (const service of SERVICES) await timeStart(context, service, config);
    }
    for (let rep = 1; rep <= repetitions; rep++) {
      context.log(`start-up: repetition ${rep} of ${repetitions}`);
      for (const service of SERVICES) {
        // Rotate the order of the configurations from one repetition to the next.
        const shift = (rep - 1) % configs.length;
        for (const config of [...configs.slice(shift), ...configs.slice(0, shift)]) {
          const key = `${service}/${config}`;
          times.set(key, [...(times.get(key) ?? []), await timeStart(context, service, config)]);
        }
      }
      for (const [name, args] of Object.entries(PRELOAD_PROBES)) probes.set(name, [...(probes.get(name) ?? []), await timeProbe(args)]);
    }
  } finally {
    await postgres.stop();
    untrack();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const byService: StartupResults['byService'] = {};
  const ratiosToBaseline: StartupResults['ratiosToBaseline'] = {};
  for (const service of SERVICES) {
    const of = (config: string) => times.get(`${service}/${config}`) ?? [];
    byService[service] = Object.fromEntries(configs.map((config) => [config, spread(of(config), 1)]));
    ratiosToBaseline[service] = Object.fromEntries(
      configs.filter((config) => config !== baseline).map((config) => [config, spread(pairedRatios(of(config), of(baseline)), 3)]),
    );
    const summary = configs.map((config) => `${config} ${byService[service]?.[config]?.median.toFixed(0)} ms`).join(', ');
    context.log(`  ${service.padEnd(9)} ${summary}`);
  }
  const preload = Object.fromEntries([...probes].map(([name, values]) => [name, spread(values, 1)])) as StartupResults['preload'];
  context.log(`  preload: bare node ${preload.bareNode.median.toFixed(0)} ms, with the register ${preload.register.median.toFixed(0)} ms, sdk-node alone ${preload.sdkNodeLoad.median.toFixed(0)} ms`);
  return { baseline, byService, ratiosToBaseline, preload };
}
