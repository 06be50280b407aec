import { loadConfigOrExit, Readiness, serve, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';
import { loadDashboards } from './dashboards';

const config = loadConfigOrExit(configSchema);
const logger = createLogger({ service: 'console', level: config.LOG_LEVEL });
const readiness = new Readiness();
const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
const app = createApp({
  logger,
  readiness,
  jaeger: new Upstream({ name: 'jaeger', baseUrl: config.JAEGER_URL, timeoutMs }),
  prometheus: new Upstream({ name: 'prometheus', baseUrl: config.PROMETHEUS_URL, timeoutMs }),
  dashboards: loadDashboards(config.DASHBOARDS_DIR),
  scrapeIntervalS: config.SCRAPE_INTERVAL_S,
  links: { jaegerUi: config.JAEGER_UI_URL, grafana: config.GRAFANA_URL },
});

void serve({ app, config, logger, readiness, flushTelemetry: shutdownTelemetry }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
