import { commonConfig, env } from '@qoslab/http-kit';
import type { z } from 'zod';

export const configSchema = commonConfig({ port: 8080, upstreamTimeoutMs: 5000 }).extend({
  CATALOG_URL: env.url.default('http://localhost:8081'),
  ORDERS_URL: env.url.default('http://localhost:8082'),
  /** The lab console as the browser reaches it; the shop links each new order's trace there. */
  CONSOLE_URL: env.url.optional(),
});

export type Config = z.infer<typeof configSchema>;
