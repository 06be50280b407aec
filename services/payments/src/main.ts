import { loadConfigOrExit, Readiness, serve } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';
import { PaymentProvider } from './provider';

const config = loadConfigOrExit(configSchema);
const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });
const readiness = new Readiness();
const app = createApp({
  logger,
  readiness,
  provider: new PaymentProvider({ latencyMs: config.PAYMENTS_LATENCY_MS, failureRate: config.PAYMENTS_FAILURE_RATE }),
  faultInjectionEnabled: config.FAULT_INJECTION_ENABLED,
});

void serve({ app, config, logger, readiness, flushTelemetry: shutdownTelemetry }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
