// Overhead and memory: the shop under a fixed-concurrency load, with telemetry and without, the
// configurations alternating within each repetition (A B A B …) so drift on the machine hits both alike.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRss, SERVICES } from '@qoslab/native-stack';
import { Chain } from '../lib/chain';
import { backendPids, type Context, shopOptions } from '../lib/context';
import { memoryCgroupsUnavailable } from '../lib/memory-cgroup';
import { cpuWindow, RssSampler } from '../lib/proc';
import { HEAP_TOTAL, HEAP_USED, instanceOf, maxHeapBytes } from '../lib/prometheus';
import { type CpuFigures, type Endpoint, ENDPOINTS, type EndpointFigures, type MemoryFigures, type OverheadResults } from '../lib/results';
import { isContained, Shop, url } from '../lib/shop';
import { pairedRatios, spread } from '../lib/stats';
import { checkErrors, runWrk, wrkFigures, type WrkResult } from '../lib/wrk';

const LOADS = {
  products: { script: 'products.lua', path: '/api/products' },
  orders: { script: 'orders.lua', path: '/api/orders' },
} as const;

/** The two-hop Express chain's turn in each repetition, among the configurations. */
const CHAIN = 'chain';

/** Configurations whose services export the runtime metrics the heap figures come from. */
const HEAP_CONFIGS = new Set(['curated']);
const MIB = 1024 * 1024;

interface Sample {
  wrk: Record<Endpoint | 'worker', WrkResult>;
  idleRss: Map<string, number>;
  loadRss: Map<string, { rssMiB: number; fileMiB: number }>;
  cpuIdle: Map<string, number>;
  cpuLoad: Record<Endpoint | 'worker', Map<string, { cpuSeconds: number; cores: number }>>;
  windows: { label: string; started: number; idleEnd: number; loadStart: number; loadEnd: number };
  pids: Map<string, number>;
  memoryEvents?: Map<string, { limitHits: number; oomKills: number }>;
}

const epochSeconds = () => Date.now() / 1000;

async function measureOnce(context: Context, config: string, label: string): Promise<Sample> {
  const { settings, wrk, log } = context;
  const o = settings.overhead;
  const shop = await Shop.start(config as Shop['config'], label, { ...shopOptions(context), logDir: context.logDir });
  try {
    const started = epochSeconds();
    const services = shop.pids();
    const postgresPid = shop.processes.get('postgres')?.pid;
    const all = new Map<string, number>([...services, ...backendPids(context), ...(postgresPid ? [['postgres', postgresPid] as const] : [])]);

    const idle = cpuWindow(all);
    await sleep(o.idleSeconds * 1000);
    const cpuIdle = new Map([...idle.end()].map(([name, figures]) => [name, figures.cores]));
    const idleRss = new Map([...all].map(([name, pid]) => [name, readRss(pid).rssMiB]));
    if (HEAP_CONFIGS.has(config)) await waitForIdleHeap(context, services, started);
    const idleEnd = epochSeconds();

    const runId = `${label}-${randomBytes(3).toString('hex')}`;
    const load = (endpoint: Endpoint, seconds: number, suffix: string) =>
      runWrk(wrk, {
        url: url(context.ports, 'gateway', LOADS[endpoint].path),
        script: LOADS[endpoint].script,
        connections: o.connections,
        durationSeconds: seconds,
        scriptArgs: [`${runId}${suffix}`],
      });
    await load('products', o.warmupSeconds, 'w');
    await load('orders', o.warmupSeconds, 'w');

    const loadStart = epochSeconds();
    const sampler = new RssSampler(all);
    const results = {} as Sample['wrk'];
    const cpuLoad = {} as Sample['cpuLoad'];
    for (const endpoint of Object.keys(LOADS) as Endpoint[]) {
      const window = cpuWindow(all);
      results[endpoint] = await load(endpoint, o.measureSeconds, 'm');
      cpuLoad[endpoint] = window.end();
      checkErrors(`${ENDPOINTS[endpoint]} (${label})`, results[endpoint]);
    }
    const workerWindow = cpuWindow(all);
    results.worker = await runWrk(wrk, { url: url(context.ports, 'worker', '/jobs/cpu'), script: 'cpu-jobs.lua', connections: 4, durationSeconds: o.workerSeconds });
    cpuLoad.worker = workerWindow.end();
    checkErrors(`POST /jobs/cpu (${label})`, results.worker);
    const loadRss = sampler.stop();
    const loadEnd = epochSeconds();
    const memoryEvents = shop.memoryEvents();
    shop.assertRunning();
    log(
      `  ${label.padEnd(22)} products ${results.products.throughput.toFixed(0)}/s p99 ${results.products.latencyMs.p99.toFixed(1)} ms · ` +
        `orders ${results.orders.throughput.toFixed(0)}/s p99 ${results.orders.latencyMs.p99.toFixed(1)} ms · ` +
        `gateway RSS ${loadRss.get('gateway')?.rssMiB.toFixed(0)} MiB`,
    );
    return { wrk: results, idleRss, loadRss, cpuIdle, cpuLoad, windows: { label, started, idleEnd, loadStart, loadEnd }, pids: all, memoryEvents };
  } finally {
    await shop.stop();
  }
}

/** GET /api/products of the two-hop chain, with the same warm-up, load and connections as the shop's. */
async function measureChain(context: Context, label: string): Promise<WrkResult> {
  const o = context.settings.overhead;
  const chain = await Chain.start(label, context.logDir);
  try {
    const load = (seconds: number) => runWrk(context.wrk, { url: chain.url, script: LOADS.products.script, connections: o.connections, durationSeconds: seconds });
    await load(o.warmupSeconds);
    const result = await load(o.measureSeconds);
    checkErrors(`the two-hop chain (${label})`, result);
    context.log(`  ${label.padEnd(22)} products ${result.throughput.toFixed(0)}/s p99 ${result.latencyMs.p99.toFixed(1)} ms`);
    return result;
  } finally {
    await chain.stop();
  }
}

/**
 * The idle heap is the runtime metrics' first export after readiness; on a slow start it may come after
 * the idle period, so the load waits for it (the idle CPU and RSS are already taken).
 */
async function waitForIdleHeap(context: Context, services: Map<string, number>, started: number): Promise<void> {
  const prometheus = url(context.ports, 'prometheus');
  const deadline = Date.now() + 3 * context.settings.metricExportIntervalMs + 10_000;
  const missing = new Map(services);
  while (missing.size > 0) {
    for (const [service, pid] of [...missing]) {
      const now = epochSeconds();
      const instance = await instanceOf(prometheus, service, pid, started, now);
      if (instance && (await maxHeapBytes(prometheus, HEAP_USED, service, instance, started, now)) !== undefined) missing.delete(service);
    }
    if (missing.size === 0) return;
    if (Date.now() > deadline) throw new Error(`no heap metrics from ${[...missing.keys()].join(', ')} in Prometheus: is the metrics pipeline working?`);
    await sleep(1000);
  }
}

async function heapFigures(prometheus: string, samples: Sample[]): Promise<Map<string, MemoryFigures['heap']>> {
  // The last exports reach Prometheus through the Collector's batch and export queues.
  await sleep(5000);
  const out = new Map<string, MemoryFigures['heap']>();
  for (const service of SERVICES) {
    const idleUsed: number[] = [];
    const loadUsed: number[] = [];
    const loadTotal: number[] = [];
    for (const { windows, pids } of samples) {
      const pid = pids.get(service) ?? -1;
      const instance = await instanceOf(prometheus, service, pid, windows.started, windows.loadEnd);
      if (!instance) throw new Error(`no target_info of ${service} (pid ${pid}, ${windows.label}) in Prometheus: is the metrics pipeline working?`);
      const idle = await maxHeapBytes(prometheus, HEAP_USED, service, instance, windows.started, windows.idleEnd);
      const used = await maxHeapBytes(prometheus, HEAP_USED, service, instance, windows.loadStart, windows.loadEnd);
      const total = await maxHeapBytes(prometheus, HEAP_TOTAL, service, instance, windows.loadStart, windows.loadEnd);
      if (idle === undefined || used === undefined || total === undefined) {
        throw new Error(`no heap metrics of ${service} (instance ${instance}, ${windows.label}) in Prometheus`);
      }
      idleUsed.push(idle / MIB);
      loadUsed.push(used / MIB);
      loadTotal.push(total / MIB);
    }
    out.set(service, { idleUsedMiB: spread(idleUsed, 1), loadUsedMiB: spread(loadUsed, 1), loadTotalMiB: spread(loadTotal, 1) });
  }
  return out;
}

export async function runOverhead(context: Context): Promise<OverheadResults> {
  const skipped: Record<string, string> = {};
  const unavailable = memoryCgroupsUnavailable();
  for (const config of context.settings.overhead.configs.filter(isContained)) {
    if (!unavailable) continue;
    skipped[config] = unavailable;
    context.log(`overhead: skipping the ${config} configuration: ${unavailable}`);
  }
  const o = { ...context.settings.overhead, configs: context.settings.overhead.configs.filter((config) => !(config in skipped)) };
  const [telemetry, baseline] = o.configs as [string, string, ...string[]];
  const samples = new Map<string, Sample[]>(o.configs.map((config) => [config, []]));
  const chain: WrkResult[] = [];
  for (let rep = 1; rep <= o.repetitions; rep++) {
    context.log(`overhead: repetition ${rep} of ${o.repetitions}`);
    // Alternate which configuration goes first, so neither always follows the other.
    const sequence = [...o.configs, CHAIN];
    const order = rep % 2 === 1 ? sequence : [...sequence].reverse();
    for (const config of order) {
      if (config in skipped) continue;
      if (config === CHAIN) {
        chain.push(await measureChain(context, `r${rep}-${CHAIN}`));
        continue;
      }
      try {
        samples.get(config)?.push(await measureOnce(context, config, `r${rep}-${config}`));
      } catch (error) {
        // Too small a memory limit is a finding, not a reason to lose the run.
        if (!isContained(config)) throw error;
        const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed';
        skipped[config] = `failed in repetition ${rep} with a ${o.containedLimitsMiB[config]} MiB limit: ${reason}`;
        context.log(`overhead: ${config} ${skipped[config]}`);
      }
    }
  }
  o.configs = o.configs.filter((config) => !(config in skipped));

  const of = (config: string) => samples.get(config) ?? [];
  const endpoints = {} as OverheadResults['endpoints'];
  for (const endpoint of Object.keys(LOADS) as Endpoint[]) {
    const byConfig: Record<string, EndpointFigures> = {};
    const ratiosToBaseline: OverheadResults['endpoints'][Endpoint]['ratiosToBaseline'] = {};
    const series = (config: string, pick: (result: WrkResult) => number) => of(config).map((sample) => pick(sample.wrk[endpoint]));
    for (const config of o.configs) {
      byConfig[config] = wrkFigures(of(config).map((sample) => sample.wrk[endpoint]));
      if (config === baseline) continue;
      ratiosToBaseline[config] = {
        throughput: spread(pairedRatios(series(config, (r) => r.throughput), series(baseline, (r) => r.throughput))),
        p50: spread(pairedRatios(series(config, (r) => r.latencyMs.p50), series(baseline, (r) => r.latencyMs.p50))),
        p99: spread(pairedRatios(series(config, (r) => r.latencyMs.p99), series(baseline, (r) => r.latencyMs.p99))),
      };
    }
    endpoints[endpoint] = { byConfig, ratiosToBaseline };
  }
  const baselineProducts = of(baseline).map((sample) => sample.wrk.products);
  const chainFigures: OverheadResults['chain'] = {
    products: wrkFigures(chain),
    baselineOverChain: spread(pairedRatios(baselineProducts.map((r) => r.throughput), chain.map((r) => r.throughput))),
    baselineP99OverP50: spread(baselineProducts.map((r) => r.latencyMs.p99 / r.latencyMs.p50)),
  };

  const cpu: OverheadResults['cpu'] = {};
  const memory: OverheadResults['memory'] = {};
  const workerThroughput: OverheadResults['workerThroughput'] = {};
  const heapByConfig = new Map<string, Map<string, MemoryFigures['heap']>>();
  for (const config of o.configs) if (HEAP_CONFIGS.has(config)) heapByConfig.set(config, await heapFigures(url(context.ports, 'prometheus'), of(config)));
  for (const config of o.configs) {
    const list = of(config);
    const programs = [...(list[0]?.cpuIdle.keys() ?? [])];
    cpu[config] = {};
    for (const program of programs) {
      const cores = (load: Endpoint | 'worker') => spread(list.map((sample) => sample.cpuLoad[load].get(program)?.cores ?? 0), 3);
      const msPerRequest = (endpoint: Endpoint) =>
        spread(list.map((sample) => ((sample.cpuLoad[endpoint].get(program)?.cpuSeconds ?? 0) * 1000) / sample.wrk[endpoint].requests), 3);
      cpu[config][program] = {
        idleCores: spread(list.map((sample) => sample.cpuIdle.get(program) ?? 0), 3),
        loadCores: { products: cores('products'), orders: cores('orders'), worker: cores('worker') },
        msPerRequest: { products: msPerRequest('products'), orders: msPerRequest('orders') },
      } satisfies CpuFigures;
    }
    memory[config] = {};
    for (const program of programs) {
      memory[config][program] = {
        idleRssMiB: spread(list.map((sample) => sample.idleRss.get(program) ?? Number.NaN), 1),
        loadRssMiB: spread(list.map((sample) => sample.loadRss.get(program)?.rssMiB ?? Number.NaN), 1),
        loadRssFileMiB: spread(list.map((sample) => sample.loadRss.get(program)?.fileMiB ?? Number.NaN), 1),
        heap: heapByConfig.get(config)?.get(program) ?? null,
      };
      const events = list.map((sample) => sample.memoryEvents?.get(program));
      if (isContained(config) && events.every((one) => one !== undefined)) {
        memory[config][program].limit = {
          limitMiB: o.containedLimitsMiB[config],
          limitHits: events.reduce((sum, one) => sum + (one?.limitHits ?? 0), 0),
          oomKills: events.reduce((sum, one) => sum + (one?.oomKills ?? 0), 0),
        };
      }
    }
    workerThroughput[config] = spread(list.map((sample) => sample.wrk.worker.throughput), 1);
  }
  return { baseline, telemetry, endpoints, chain: chainFigures, cpu, memory, workerThroughput, skipped };
}
