import { join } from 'node:path';
import { commonConfig, env } from '@qoslab/http-kit';
import { z } from 'zod';
import { SERVICE_PORTS } from '@qoslab/contracts';

export const configSchema = commonConfig({ port: SERVICE_PORTS.console, upstreamTimeoutMs: 5000 }).extend({
  /** Jaeger's query service (its HTTP API, /api/traces). */
  JAEGER_URL: env.url.default('http://localhost:16686'),
  PROMETHEUS_URL: env.url.default('http://localhost:9090'),
  /** The shipped Grafana dashboards; the images carry them at the same place relative to dist/. */
  DASHBOARDS_DIR: z.string().min(1).default(join(__dirname, '..', '..', '..', 'observability', 'grafana', 'dashboards')),
  /** The Prometheus data source's scrape interval (Grafana's timeInterval), for $__rate_interval. */
  SCRAPE_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(15),
  /** Where the real UIs run (compose, kind), linked from the page; unset natively. */
  JAEGER_UI_URL: env.url.optional(),
  GRAFANA_URL: env.url.optional(),
});
