import { commonConfig, env } from '@qoslab/http-kit';
import { z } from 'zod';
import { DEFAULT_WORKER_JOB_LIMITS, SERVICE_PORTS } from '@qoslab/contracts';

const positive = z.coerce.number().int().min(1);

export const configSchema = commonConfig({ port: SERVICE_PORTS.worker }).extend({
  /** Largest CPU job a request may ask for (one unit is about a millisecond of CPU). */
  WORKER_MAX_CPU_UNITS: positive.max(100_000).default(DEFAULT_WORKER_JOB_LIMITS.maxCpuUnits),
  /**
   * Memory all concurrent memory jobs may hold together. The default keeps a worker safe; the QoS lab
   * raises it above the container's limit on purpose, to demonstrate the OOM killer.
   */
  WORKER_MAX_MEMORY_MIB: positive.max(65_536).default(DEFAULT_WORKER_JOB_LIMITS.maxMemoryMib),
  WORKER_MAX_HOLD_MS: env.milliseconds.default(DEFAULT_WORKER_JOB_LIMITS.maxHoldMs),
  WORKER_MAX_CONCURRENT_JOBS: positive.max(10_000).default(64),
});
