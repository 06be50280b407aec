// Goals and sizing, derived from the measurements only.
import { SERVICES } from '@qoslab/native-stack';
import { ENDPOINTS, type Endpoint, type Goal, type Results, type SizingRow } from './results';
import { CONTAINED_CONFIGS } from './shop';

export const GOALS = {
  throughputCost: { products: 0.15, orders: 0.1 } satisfies Record<Endpoint, number>,
  p99Added: { products: 0.2, orders: 0.15 } satisfies Record<Endpoint, number>,
  /** The kit's throughput loss over the upstream register's, in the same run. */
  lossAgainstPeer: 0.5,
  /** Telemetry off, GET /api/products against the two-hop Express chain's throughput. */
  againstChain: 0.5,
  /** Telemetry off, GET /api/products: p99 over p50. */
  tailRatio: 3,
  startupRatio: 1.3,
  /** The Collector frozen, stopped or a black hole: the services' median latency over it with the Collector up. */
  outageLatency: 1.2,
  loadRssMiB: 96,
};

/** The configuration most users copy: auto-instrumentations-node's register with its defaults. */
export const PEER_CONFIG = 'all';

/**
 * The rate the sizing is for: the `stress` load shape's peak, 30 shop journeys a second; a journey reads
 * three times (list, view, order status; priced as GET /api/products, the most expensive read) and
 * places one order.
 */
export const DESIGN_RATE = { productsPerSecond: 90, ordersPerSecond: 30 };

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

const points = (fraction: number) => `${(fraction * 100).toFixed(1)} percentage points`;

/** Whether a goal is met and, when it is not, by how much. */
const judge = (met: boolean, missedBy: () => string): Pick<Goal, 'met' | 'missedBy'> => (met ? { met } : { met, missedBy: missedBy() });

export function evaluateGoals(results: Pick<Results, 'overhead' | 'startup' | 'outage' | 'settings'>): Goal[] {
  const goals: Goal[] = [];
  const { overhead, startup } = results;
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    const ratios = overhead.endpoints[endpoint].ratiosToBaseline[overhead.telemetry];
    if (!ratios) throw new Error(`no ratios of ${overhead.telemetry} to ${overhead.baseline}`);
    const cost = 1 - ratios.throughput.median;
    const costGoal = GOALS.throughputCost[endpoint];
    goals.push({
      id: `throughput-${endpoint}`,
      description: `${ENDPOINTS[endpoint]}: throughput lost to telemetry`,
      target: `≤ ${pct(costGoal)}`,
      measured: `${pct(cost)} (range ${pct(1 - ratios.throughput.max)} to ${pct(1 - ratios.throughput.min)})`,
      ...judge(cost <= costGoal, () => points(cost - costGoal)),
    });
    const added = ratios.p99.median - 1;
    const addedGoal = GOALS.p99Added[endpoint];
    goals.push({
      id: `p99-${endpoint}`,
      description: `${ENDPOINTS[endpoint]}: p99 latency added by telemetry`,
      target: `≤ ${pct(addedGoal)}`,
      measured: `${pct(added)} (range ${pct(ratios.p99.min - 1)} to ${pct(ratios.p99.max - 1)})`,
      ...judge(added <= addedGoal, () => points(added - addedGoal)),
    });
    const peer = overhead.endpoints[endpoint].ratiosToBaseline[PEER_CONFIG];
    if (peer) {
      const peerCost = 1 - peer.throughput.median;
      const share = peerCost > 0 ? cost / peerCost : Number.POSITIVE_INFINITY;
      goals.push({
        id: `peer-${endpoint}`,
        description: `${ENDPOINTS[endpoint]}: the kit's throughput loss against the upstream register's (${pct(peerCost)}), same run`,
        target: `≤ ${pct(GOALS.lossAgainstPeer)} of it`,
        measured: Number.isFinite(share) ? pct(share) : 'the upstream register lost nothing',
        ...judge(share <= GOALS.lossAgainstPeer, () => (Number.isFinite(share) ? points(share - GOALS.lossAgainstPeer) : 'all of it: the upstream register lost nothing')),
      });
    }
  }
  const { chain } = overhead;
  const ofChain = chain.baselineOverChain.median;
  goals.push({
    id: 'chain-products',
    description: `${ENDPOINTS.products}, telemetry off: throughput against the two-hop Express chain (${chain.products.throughput.median.toFixed(0)} req/s), same run`,
    target: `≥ ${pct(GOALS.againstChain)}`,
    measured: `${pct(ofChain)} (range ${pct(chain.baselineOverChain.min)} to ${pct(chain.baselineOverChain.max)})`,
    ...judge(ofChain >= GOALS.againstChain, () => points(GOALS.againstChain - ofChain)),
  });
  const tail = overhead.chain.baselineP99OverP50;
  goals.push({
    id: 'tail-products',
    description: `${ENDPOINTS.products}, telemetry off: p99 over p50 at ${results.settings.overhead.connections} connections`,
    target: `≤ ${GOALS.tailRatio.toFixed(1)}x`,
    measured: `${tail.median.toFixed(2)}x (range ${tail.min.toFixed(2)}x to ${tail.max.toFixed(2)}x)`,
    ...judge(tail.median <= GOALS.tailRatio, () => pct(tail.median / GOALS.tailRatio - 1)),
  });
  for (const service of SERVICES) {
    const ratio = startup.ratiosToBaseline[service]?.curated;
    if (!ratio) throw new Error(`no start-up ratio for ${service}`);
    goals.push({
      id: `startup-${service}`,
      description: `${service}: start-up with telemetry over without`,
      target: `≤ ${GOALS.startupRatio.toFixed(2)}x`,
      measured: `${ratio.median.toFixed(2)}x (range ${ratio.min.toFixed(2)}x to ${ratio.max.toFixed(2)}x)`,
      ...judge(ratio.median <= GOALS.startupRatio, () => pct(ratio.median / GOALS.startupRatio - 1)),
    });
  }
  for (const [fault, figures] of Object.entries(results.outage.byFault)) {
    const ratio = figures.p50;
    goals.push({
      id: `outage-${fault.replace(/ /g, '-')}`,
      description: `${ENDPOINTS.products}, one connection: median latency with the Collector ${fault} over the Collector up`,
      target: `≤ ${GOALS.outageLatency.toFixed(2)}x`,
      measured: `${ratio.median.toFixed(2)}x (range ${ratio.min.toFixed(2)}x to ${ratio.max.toFixed(2)}x)`,
      ...judge(ratio.median <= GOALS.outageLatency, () => pct(ratio.median / GOALS.outageLatency - 1)),
    });
  }
  const contained = overhead.memory.contained ? 'contained' : undefined;
  for (const [config, where] of [
    [overhead.telemetry, 'native process, heap sized by V8 from the host’s memory'],
    ...(contained ? [[contained, `in a ${results.settings.overhead.containedLimitsMiB.contained} MiB memory cgroup with the images’ memory settings`] as const] : []),
  ] as const) {
    for (const service of SERVICES) {
      const rss = overhead.memory[config]?.[service]?.loadRssMiB;
      if (!rss) throw new Error(`no RSS under load for ${service} (${config})`);
      goals.push({
        id: `rss-${config}-${service}`,
        description: `${service}: RSS under load, telemetry on, ${where} (largest of all repetitions)`,
        target: `< ${GOALS.loadRssMiB} MiB`,
        measured: `${rss.max.toFixed(1)} MiB (median ${rss.median.toFixed(1)} MiB)`,
        ...judge(rss.max < GOALS.loadRssMiB, () => pct(rss.max / GOALS.loadRssMiB - 1)),
      });
    }
  }
  return goals;
}

const ceilTo = (value: number, step: number) => Math.ceil(value / step) * step;

/** CPU per request may rise this much under a memory limit before the limit counts as too tight. */
export const MAX_CPU_RISE_UNDER_LIMIT = 0.25;

/**
 * What a memory limit cost a service: the rise of its CPU per request (GET /api/products and POST
 * /api/orders together, so an endpoint the service barely takes part in weighs little) over the same
 * service without a limit. The worker, saturated by its jobs either way, shows it as fewer jobs per second.
 */
export function cpuRiseUnderLimit(overhead: Results['overhead'], program: string, config: string): number {
  if (program === 'worker') {
    const free = overhead.workerThroughput[overhead.telemetry]?.median;
    const limited = overhead.workerThroughput[config]?.median;
    return free !== undefined && limited !== undefined ? free / limited - 1 : Number.NaN;
  }
  const cost = (figures: Results['overhead']['cpu'][string][string] | undefined) =>
    figures ? figures.msPerRequest.products.median + figures.msPerRequest.orders.median : Number.NaN;
  return cost(overhead.cpu[config]?.[program]) / cost(overhead.cpu[overhead.telemetry]?.[program]) - 1;
}

/**
 * Requests and limits per program, from the measurements:
 * - memory limit of the services: the smallest limit tried (contained configurations) at which the
 *   service had no OOM kill and its CPU per request stayed within 25% of its CPU per request without a
 *   limit (a tight heap shows as garbage-collection CPU; for the worker, saturated by its jobs: its jobs
 *   per second fell by at most that much); when none qualifies, the largest limit tried,
 *   flagged. Memory request: the largest RSS seen inside that limit plus 10%, rounded up to 16 MiB.
 *   Without contained measurements: request = largest native RSS under load + 25%, limit = twice it;
 * - memory of the Go programs: request = largest RSS under load + 25%, limit = twice it, rounded up to 16 MiB;
 * - CPU request: idle CPU plus the measured CPU per request at the design rate, rounded up to 10m, 50m at least;
 * - CPU limit: 1000m for the Node.js services (JavaScript runs on one thread; a limit below one core
 *   throttles the event loop in bursts), none for the Go backends (they use every core they get).
 * The Collector's memory_limiter must sit below its container limit: set OTELCOL_MEMORY_LIMIT_MIB to
 * about 80% of the limit (docs/performance.md says so next to the table).
 */
export function sizing(results: Pick<Results, 'overhead' | 'collector' | 'settings'>): Results['sizing'] {
  const { overhead } = results;
  const memory = overhead.memory[overhead.telemetry] ?? {};
  const cpu = overhead.cpu[overhead.telemetry] ?? {};
  const limits = CONTAINED_CONFIGS.filter((config) => overhead.memory[config]).sort(
    (a, b) => results.settings.overhead.containedLimitsMiB[a] - results.settings.overhead.containedLimitsMiB[b],
  );
  const rows: SizingRow[] = [];
  for (const program of [...SERVICES, 'otel-collector', 'jaeger', 'prometheus']) {
    let rss = memory[program]?.loadRssMiB.max;
    // The Collector is sized for its highest sustained span rate too, not only for the shop's traffic.
    if (program === 'otel-collector' && rss !== undefined) rss = Math.max(rss, results.collector.atMax.collectorRssMiB.max);
    const figures = cpu[program];
    if (rss === undefined || !figures) throw new Error(`no measurements of ${program} to size it from`);
    const isService = (SERVICES as readonly string[]).includes(program);
    let cores = figures.idleCores.median;
    const basis: string[] = [];
    if (program === 'worker') {
      // The worker's load is its jobs, not shop traffic: size it for the CPU it used under the benchmark's jobs.
      cores = figures.loadCores.worker.median;
      basis.push('CPU: 4 concurrent CPU jobs');
    } else {
      cores +=
        (figures.msPerRequest.products.median * DESIGN_RATE.productsPerSecond + figures.msPerRequest.orders.median * DESIGN_RATE.ordersPerSecond) / 1000;
      basis.push('CPU: per request × design rate');
    }
    let measuredRss = rss;
    // The kit's rule (docs/qos.md): memory request = limit, so a pod is never OOM-killed for using what it
    // asked for; room for bursts goes into both.
    let memoryLimitMiB = ceilTo(rss * 1.5, 16);
    if (isService && limits.length > 0) {
      const tried = limits.map((config) => {
        const inside = overhead.memory[config]?.[program];
        return { config, limitMiB: results.settings.overhead.containedLimitsMiB[config], inside, rise: cpuRiseUnderLimit(overhead, program, config) };
      });
      const fit = tried.find((one) => one.inside?.limit?.oomKills === 0 && one.rise <= MAX_CPU_RISE_UNDER_LIMIT);
      const chosen = fit ?? tried[tried.length - 1];
      if (chosen?.inside) {
        measuredRss = chosen.inside.loadRssMiB.max;
        memoryLimitMiB = chosen.limitMiB;
        const others = tried
          .filter((one) => one !== chosen)
          .map((one) => `${one.limitMiB} MiB: ${(one.rise * 100).toFixed(0)}%`)
          .join(', ');
        basis.push(
          fit
            ? `memory: smallest limit tried with CPU per request within ${MAX_CPU_RISE_UNDER_LIMIT * 100}% (${(chosen.rise * 100).toFixed(0)}%${others ? `; ${others}` : ''})`
            : `memory: no limit tried kept CPU per request within ${MAX_CPU_RISE_UNDER_LIMIT * 100}% (${tried.map((one) => `${one.limitMiB} MiB: ${(one.rise * 100).toFixed(0)}%`).join(', ')}): give it more`,
        );
      }
    } else {
      basis.push('memory: largest RSS under load');
    }
    rows.push({
      program,
      measuredLoadRssMiB: Math.round(measuredRss * 10) / 10,
      measuredIdleCores: figures.idleCores.median,
      memoryRequestMiB: memoryLimitMiB,
      memoryLimitMiB,
      cpuRequestMillicores: Math.max(50, ceilTo(cores * 1000, 10)),
      // The kit's rule: a CPU request and no CPU limit, so idle CPU is used and contention squeezes a pod
      // back to its request; only the QoS lab's Guaranteed worker has a limit, on purpose.
      cpuLimitMillicores: null,
      basis: basis.join('; '),
    });
  }
  return { designRate: DESIGN_RATE, rows };
}
