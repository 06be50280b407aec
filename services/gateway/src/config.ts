import { commonConfig, env } from '@qoslab/http-kit';
import { SERVICE_PORTS } from '@qoslab/contracts';

export const configSchema = commonConfig({ port: SERVICE_PORTS.gateway, upstreamTimeoutMs: 5000 }).extend({
  CATALOG_URL: env.url.default(`http://localhost:${SERVICE_PORTS.catalog}`),
  ORDERS_URL: env.url.default(`http://localhost:${SERVICE_PORTS.orders}`),
  /** The lab console as the browser reaches it; the shop links each new order's trace there. */
  CONSOLE_URL: env.url.optional(),
});
