// Where telemetry's cost comes from: GET /api/products through gateway and catalog (started alone, on the
// services' core) with telemetry off, the SDK without instrumentations, one instrumentation at a time and
// then the curated set with nothing recorded (no span sampled, no meter provider), the curated set with
// only metrics recorded, and the curated set as shipped; configurations in turn, their order alternating
// between repetitions. Separates what the instrumentations' hooks cost from what recording and
// exporting spans cost.
import { ManagedProcess } from '@qoslab/native-stack';
import { track } from '../lib/cleanup';
import { type Context, shopOptions } from '../lib/context';
import type { BreakdownResults } from '../lib/results';
import { serviceSpec, type TelemetryConfig, url } from '../lib/shop';
import { pairedRatios, spread } from '../lib/stats';
import { checkErrors, runWrk, type WrkResult, wrkFigures } from '../lib/wrk';

const SERVED = ['catalog', 'gateway'] as const;
const BASELINE = 'off';

async function measure(context: Context, config: TelemetryConfig): Promise<WrkResult> {
  const { warmupSeconds, measureSeconds } = context.settings.breakdown;
  const options = shopOptions(context);
  const processes = SERVED.map((name) => new ManagedProcess({ ...serviceSpec(name, config, options), name: `${name}-breakdown-${config}` }, context.logDir));
  const stop = () => Promise.all(processes.map((managed) => managed.stop()));
  const untrack = track(stop);
  try {
    for (const managed of processes) managed.start();
    await Promise.all(processes.map((managed) => managed.waitReady(60_000)));
    const load = (seconds: number) =>
      runWrk(context.wrk, {
        url: url(context.ports, 'gateway', '/api/products'),
        script: 'products.lua',
        connections: context.settings.overhead.connections,
        durationSeconds: seconds,
      });
    await load(warmupSeconds);
    const result = await load(measureSeconds);
    checkErrors(`breakdown: GET /api/products, ${config}`, result);
    for (const managed of processes) {
      if (!managed.running) throw new Error(`${managed.name} exited during the benchmark:\n${managed.tail()}`);
    }
    return result;
  } finally {
    await stop();
    untrack();
  }
}

export async function runBreakdown(context: Context): Promise<BreakdownResults> {
  const { configs, repetitions } = context.settings.breakdown;
  if (!configs.includes(BASELINE)) throw new Error(`the breakdown needs the ${BASELINE} configuration`);
  const runs = new Map(configs.map((config) => [config, [] as WrkResult[]]));
  for (let rep = 1; rep <= repetitions; rep++) {
    context.log(`breakdown: repetition ${rep} of ${repetitions}`);
    for (const config of rep % 2 === 1 ? configs : [...configs].reverse()) {
      const result = await measure(context, config);
      runs.get(config)?.push(result);
      context.log(`  ${config.padEnd(14)} ${result.throughput.toFixed(0)} req/s, p99 ${result.latencyMs.p99.toFixed(1)} ms`);
    }
  }
  const throughput = (config: string) => (runs.get(config as TelemetryConfig) ?? []).map((result) => result.throughput);
  const byConfig: BreakdownResults['byConfig'] = {};
  const throughputToBaseline: BreakdownResults['throughputToBaseline'] = {};
  for (const [config, results] of runs) {
    byConfig[config] = wrkFigures(results);
    if (config !== BASELINE) throughputToBaseline[config] = spread(pairedRatios(throughput(config), throughput(BASELINE)));
  }
  return { baseline: BASELINE, byConfig, throughputToBaseline };
}
