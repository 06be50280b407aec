import { loadConfigOrExit, Readiness, serve, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';

const config = loadConfigOrExit(configSchema);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const readiness = new Readiness();
const app = createApp({
  logger,
  readiness,
  catalog: new Upstream({ name: 'catalog', baseUrl: config.CATALOG_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
  orders: new Upstream({ name: 'orders', baseUrl: config.ORDERS_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
  faultInjectionEnabled: config.FAULT_INJECTION_ENABLED,
  consoleUrl: config.CONSOLE_URL,
});

void serve({ app, config, logger, readiness, flushTelemetry: shutdownTelemetry }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
