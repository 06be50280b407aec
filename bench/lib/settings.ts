import type { ContainedConfig, TelemetryConfig } from './shop';

export interface Settings {
  mode: 'full' | 'quick';
  /** OTEL_METRIC_EXPORT_INTERVAL of the services. */
  metricExportIntervalMs: number;
  overhead: {
    /** Configurations measured in turn in each repetition (A B A B …): the first two are compared. */
    configs: TelemetryConfig[];
    repetitions: number;
    connections: number;
    /** After readiness, before any traffic: idle RSS, idle CPU and (telemetry on) the idle heap. */
    idleSeconds: number;
    warmupSeconds: number;
    measureSeconds: number;
    workerSeconds: number;
    /** Memory limit of each service in the contained configurations. */
    containedLimitsMiB: Record<ContainedConfig, number>;
  };
  startup: {
    configs: TelemetryConfig[];
    repetitions: number;
  };
  breakdown: {
    /** Configurations measured in turn in each repetition, GET /api/products through gateway and catalog only. */
    configs: TelemetryConfig[];
    repetitions: number;
    warmupSeconds: number;
    measureSeconds: number;
  };
  outage: {
    /** Sequential GET /api/products (one connection) per turn, with the Collector up and with each fault in turn. */
    measureSeconds: number;
    warmupSeconds: number;
    repetitions: number;
  };
  collector: {
    /** Offered span rates, in spans per second, tried in order until one is not sustained. */
    rates: number[];
    stepSeconds: number;
    /** After each step: how long the queue may take to drain before the step counts as not sustained. */
    drainSeconds: number;
    repetitions: number;
  };
}

export const FULL: Settings = {
  mode: 'full',
  metricExportIntervalMs: 10_000,
  overhead: {
    configs: ['curated', 'off', 'all', 'no-runtime-node', 'sampled', 'contained', 'contained-large'],
    repetitions: 5,
    connections: 16,
    idleSeconds: 12,
    warmupSeconds: 5,
    measureSeconds: 20,
    workerSeconds: 10,
    containedLimitsMiB: { contained: 128, 'contained-large': 256 },
  },
  startup: { configs: ['curated', 'all', 'off', 'no-runtime-node', 'curated-cached', 'off-cached'], repetitions: 7 },
  breakdown: {
    configs: ['off', 'sdk-only', 'upstream-bare-undici', 'bare-http-client', 'upstream-bare-http', 'bare-http', 'bare', 'unsampled', 'curated'],
    repetitions: 5,
    warmupSeconds: 3,
    measureSeconds: 8,
  },
  outage: { measureSeconds: 8, warmupSeconds: 5, repetitions: 5 },
  collector: {
    rates: [1000, 2000, 4000, 6000, 8000, 12000, 16000, 24000, 32000, 48000, 64000],
    stepSeconds: 20,
    drainSeconds: 15,
    repetitions: 3,
  },
};

/** The same harness in a few minutes, for CI: every figure is produced, none is meaningful. */
export const QUICK: Settings = {
  mode: 'quick',
  metricExportIntervalMs: 2000,
  overhead: { ...FULL.overhead, repetitions: 1, connections: 4, idleSeconds: 3, warmupSeconds: 1, measureSeconds: 3, workerSeconds: 2 },
  startup: { ...FULL.startup, repetitions: 1 },
  breakdown: { ...FULL.breakdown, repetitions: 1, warmupSeconds: 1, measureSeconds: 2 },
  outage: { measureSeconds: 2, warmupSeconds: 1, repetitions: 1 },
  collector: { rates: [500, 1000, 2000], stepSeconds: 3, drainSeconds: 5, repetitions: 1 },
};
