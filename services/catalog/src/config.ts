import { commonConfig, env } from '@qoslab/http-kit';
import { SERVICE_PORTS } from '@qoslab/contracts';

export const configSchema = commonConfig({ port: SERVICE_PORTS.catalog }).extend({
  /** How long the product list stays cached. */
  CATALOG_CACHE_TTL_MS: env.milliseconds.default(30_000),
  /** Simulated latency of the product source behind the cache. */
  CATALOG_SOURCE_LATENCY_MS: env.milliseconds.default(20),
});
