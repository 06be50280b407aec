import type { ProfileSummary } from './cpu-profile';
import type { Machine } from './machine';
import type { Settings } from './settings';
import type { Spread } from './stats';

export const ENDPOINTS = {
  products: 'GET /api/products',
  orders: 'POST /api/orders',
} as const;
export type Endpoint = keyof typeof ENDPOINTS;

export interface EndpointFigures {
  /** Completed requests per second at the fixed concurrency. */
  throughput: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** Failed requests (non-2xx, socket errors, timeouts) over all repetitions, and all requests. */
  errors: number;
  requests: number;
}

/** One configuration over another, repetition by repetition (each pair measured back to back). */
export interface Ratios {
  throughput: Spread;
  p50: Spread;
  p99: Spread;
}

export interface MemoryFigures {
  idleRssMiB: Spread;
  /** Largest RSS sampled (every 500 ms) while the service was under load. */
  loadRssMiB: Spread;
  /** The file-backed part of that RSS (RssFile: mostly the binary's own pages, shared between processes). */
  loadRssFileMiB?: Spread;
  /** V8 heap (sum over spaces), from the runtime metrics in Prometheus; null without those metrics. */
  heap: { idleUsedMiB: Spread; loadUsedMiB: Spread; loadTotalMiB: Spread } | null;
  /** In a memory cgroup (`contained`): its limit, how often usage reached it and OOM kills, over all repetitions. */
  limit?: { limitMiB: number; limitHits: number; oomKills: number };
}

export interface CpuFigures {
  idleCores: Spread;
  /** CPU cores used while each load ran, and CPU milliseconds per request of that load. */
  loadCores: Record<Endpoint | 'worker', Spread>;
  msPerRequest: Record<Endpoint, Spread>;
}

export interface OverheadResults {
  /** The configuration with telemetry and the one without, the pair the goals compare. */
  baseline: string;
  telemetry: string;
  endpoints: Record<Endpoint, { byConfig: Record<string, EndpointFigures>; ratiosToBaseline: Record<string, Ratios> }>;
  /** The two-hop Express chain (bench/chain) in the same repetitions; the baseline's GET against it. */
  chain: {
    products: EndpointFigures;
    /** The baseline's throughput over the chain's, repetition by repetition. */
    baselineOverChain: Spread;
    /** The baseline's p99 over its own p50, per repetition. */
    baselineP99OverP50: Spread;
  };
  /** Per configuration, per program (services, and the Collector, Jaeger, Prometheus, PostgreSQL). */
  cpu: Record<string, Record<string, CpuFigures>>;
  memory: Record<string, Record<string, MemoryFigures>>;
  /** The worker under CPU jobs (5 units each): requests per second, per configuration. */
  workerThroughput: Record<string, Spread>;
  /** Configurations that could not run on this machine, and why. */
  skipped: Record<string, string>;
}

export interface StartupResults {
  baseline: string;
  /** Milliseconds from spawn to the first 200 from /readyz, per service and configuration. */
  byService: Record<string, Record<string, Spread>>;
  /** Each configuration over the baseline, repetition by repetition. */
  ratiosToBaseline: Record<string, Record<string, Spread>>;
  /** Milliseconds from spawn to exit: bare node, node with the register preload, node loading only sdk-node. */
  preload: Record<'bareNode' | 'register' | 'sdkNodeLoad', Spread>;
}

export interface ProfileResults {
  /** How long the profiled load ran (after the warm-up). */
  seconds: number;
  /** Per configuration (off, curated), per profiled service. */
  byConfig: Record<string, Record<string, ProfileSummary>>;
}

export interface OutageFigures {
  /** GET /api/products with the fault on, and with the Collector up in the turn just before. */
  during: EndpointFigures;
  baseline: EndpointFigures;
  /** During over baseline, turn by turn. */
  p50: Spread;
  p99: Spread;
}

export interface OutageResults {
  /** Per fault (COLLECTOR_FAULTS of @qoslab/native-stack). */
  byFault: Record<string, OutageFigures>;
}

export interface BreakdownResults {
  /** The configuration the others are compared with (telemetry off). */
  baseline: string;
  /** GET /api/products through gateway and catalog, per configuration. */
  byConfig: Record<string, EndpointFigures>;
  /** Each configuration's throughput over the baseline's, repetition by repetition. */
  throughputToBaseline: Record<string, Spread>;
}

export interface CollectorStep {
  targetSpansPerSecond: number;
  achievedSpansPerSecond: number;
  sentSpans: number;
  /** Deltas over the step of the Collector's own counters. */
  acceptedSpans: number;
  /** otelcol_receiver_refused_spans plus otelcol_receiver_failed_spans. */
  refusedSpans: number;
  sendFailedSpans: number;
  enqueueFailedSpans: number;
  /** Metric points (span metrics, service graph) the Prometheus exporter failed to send or queue. */
  failedMetricPoints: number;
  /** Spans the generator saw rejected (non-200 answers or failed requests). */
  generatorRejectedSpans: number;
  maxQueueSize: number;
  queueCapacity: number;
  /** Seconds after the step until Jaeger's exporter had sent everything accepted; null when it never did. */
  drainSeconds: number | null;
  collectorCores: number;
  collectorRssMiB: number;
  generatorCores: number;
  sustained: boolean;
  reason: string;
}

export interface CollectorResults {
  repetitions: { maxSustainedSpansPerSecond: number; steps: CollectorStep[] }[];
  maxSustainedSpansPerSecond: Spread;
  /** True when the highest offered rate was sustained: the true limit is above what was tried. */
  limitedByLadder: boolean;
  /** At the highest sustained rate of each repetition. */
  atMax: { collectorCores: Spread; collectorRssMiB: Spread };
}

export interface Goal {
  id: string;
  description: string;
  target: string;
  measured: string;
  met: boolean;
  /** How far from the target, as a fraction of it, when missed. */
  missedBy?: string;
}

export interface SizingRow {
  program: string;
  measuredLoadRssMiB: number;
  measuredIdleCores: number;
  memoryRequestMiB: number;
  memoryLimitMiB: number;
  cpuRequestMillicores: number;
  cpuLimitMillicores: number | null;
  basis: string;
}

export interface Results {
  schema: 1;
  mode: Settings['mode'];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: Settings;
  overhead: OverheadResults;
  startup: StartupResults;
  profile: ProfileResults;
  /** Absent from runs made before the phase existed. */
  breakdown?: BreakdownResults;
  outage: OutageResults;
  collector: CollectorResults;
  goals: Goal[];
  sizing: { designRate: { productsPerSecond: number; ordersPerSecond: number }; rows: SizingRow[] };
}
