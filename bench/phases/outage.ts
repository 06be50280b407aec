// The Collector unavailable under the shop: sequential GET /api/products (one connection) with the
// Collector up, then with a fault on, turn by turn for each fault, the faults' order alternating between
// repetitions. The reliability tests (test/reliability/telemetry-outage.test.ts) assert the services stay
// correct under the same faults; this measures what each costs their latency.
import { COLLECTOR_FAULTS, collectorFault } from '@qoslab/native-stack';
import { type Context, shopOptions } from '../lib/context';
import type { OutageResults } from '../lib/results';
import { Shop, url } from '../lib/shop';
import { pairedRatios, spread } from '../lib/stats';
import { checkErrors, runWrk, type WrkResult, wrkFigures } from '../lib/wrk';

export async function runOutage(context: Context): Promise<OutageResults> {
  const { measureSeconds, warmupSeconds, repetitions } = context.settings.outage;
  const collector = context.backends.get('otel-collector');
  if (!collector) throw new Error('the Collector is not running');
  const shop = await Shop.start('curated', 'outage', { ...shopOptions(context), logDir: context.logDir });
  const runs = new Map(COLLECTOR_FAULTS.map((fault) => [fault, { during: [] as WrkResult[], baseline: [] as WrkResult[] }]));
  try {
    const load = (seconds: number) =>
      runWrk(context.wrk, { url: url(context.ports, 'gateway', '/api/products'), script: 'products.lua', connections: 1, durationSeconds: seconds });
    await load(warmupSeconds);
    for (let rep = 1; rep <= repetitions; rep++) {
      context.log(`outage: repetition ${rep} of ${repetitions}`);
      const order = rep % 2 === 1 ? COLLECTOR_FAULTS : [...COLLECTOR_FAULTS].reverse();
      for (const name of order) {
        const fault = collectorFault(name, { collector, otlpHttp: { host: '127.0.0.1', port: context.ports.otlpHttp } });
        const baseline = await load(measureSeconds);
        checkErrors(`GET /api/products, Collector up (before ${name})`, baseline);
        await fault.on();
        let during: WrkResult;
        try {
          during = await load(measureSeconds);
        } finally {
          await fault.off();
        }
        checkErrors(`GET /api/products, Collector ${name}`, during);
        if (name === 'black hole' && fault.swallowed() === 0) throw new Error('the services never connected to the black hole: the fault was not exercised');
        shop.assertRunning();
        runs.get(name)?.baseline.push(baseline);
        runs.get(name)?.during.push(during);
        context.log(`  ${name.padEnd(12)} p50 ${during.latencyMs.p50.toFixed(2)} ms (up: ${baseline.latencyMs.p50.toFixed(2)} ms) · p99 ${during.latencyMs.p99.toFixed(2)} ms (up: ${baseline.latencyMs.p99.toFixed(2)} ms)`);
      }
    }
  } finally {
    await shop.stop();
  }
  const byFault: OutageResults['byFault'] = {};
  for (const [name, { during, baseline }] of runs) {
    const p = (results: WrkResult[], key: 'p50' | 'p99') => results.map((result) => result.latencyMs[key]);
    byFault[name] = {
      during: wrkFigures(during),
      baseline: wrkFigures(baseline),
      p50: spread(pairedRatios(p(during, 'p50'), p(baseline, 'p50'))),
      p99: spread(pairedRatios(p(during, 'p99'), p(baseline, 'p99'))),
    };
  }
  return { byFault };
}
