import { commonConfig, env } from '@qoslab/http-kit';
import type { z } from 'zod';

export const configSchema = commonConfig({ port: 8080, upstreamTimeoutMs: 5000 }).extend({
  CATALOG_URL: env.url.default('http://localhost:8081'),
  ORDERS_URL: env.url.default('http://localhost:8082'),
});

export type Config = z.infer<typeof configSchema>;
