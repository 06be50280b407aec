import { loadConfigOrExit, Readiness, serve } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';
import { type JobLimits, JobRunner } from './jobs';

const config = loadConfigOrExit(configSchema);
const logger = createLogger({ service: 'worker', level: config.LOG_LEVEL });
const readiness = new Readiness();
const limits: JobLimits = {
  maxCpuUnits: config.WORKER_MAX_CPU_UNITS,
  maxMemoryMib: config.WORKER_MAX_MEMORY_MIB,
  maxHoldMs: config.WORKER_MAX_HOLD_MS,
  maxConcurrentJobs: config.WORKER_MAX_CONCURRENT_JOBS,
};
const runner = new JobRunner(limits);
const app = createApp({ logger, readiness, runner, limits, faultInjectionEnabled: config.FAULT_INJECTION_ENABLED });

void serve({ app, config, logger, readiness, onClose: [() => runner.close()], flushTelemetry: shutdownTelemetry }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
