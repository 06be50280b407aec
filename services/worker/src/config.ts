import { commonConfig, env } from '@qoslab/http-kit';
import { z } from 'zod';

const positive = z.coerce.number().int().min(1);

export const configSchema = commonConfig({ port: 8084 }).extend({
  /** Largest CPU job a request may ask for (one unit is about a millisecond of CPU). */
  WORKER_MAX_CPU_UNITS: positive.max(100_000).default(1000),
  /**
   * Memory all concurrent memory jobs may hold together. The default keeps a worker safe; the QoS lab
   * raises it above the container's limit on purpose, to demonstrate the OOM killer.
   */
  WORKER_MAX_MEMORY_MIB: positive.max(65_536).default(256),
  WORKER_MAX_HOLD_MS: env.milliseconds.default(60_000),
  WORKER_MAX_CONCURRENT_JOBS: positive.max(10_000).default(64),
});

export type Config = z.infer<typeof configSchema>;
