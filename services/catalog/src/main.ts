import { loadConfigOrExit, Readiness, serve } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';
import { ProductCache } from './product-cache';
import { SEED_PRODUCTS } from './products';
import { StockLedger } from './stock';

const config = loadConfigOrExit(configSchema);
const logger = createLogger({ service: 'catalog', level: config.LOG_LEVEL });
const readiness = new Readiness();
const source = async () => {
  await new Promise((resolve) => setTimeout(resolve, config.CATALOG_SOURCE_LATENCY_MS));
  return SEED_PRODUCTS.map(({ initialStock: _stock, ...product }) => product);
};
const app = createApp({
  logger,
  readiness,
  products: new ProductCache(source, config.CATALOG_CACHE_TTL_MS),
  stock: new StockLedger(SEED_PRODUCTS.map((product) => [product.id, product.initialStock])),
  faultInjectionEnabled: config.FAULT_INJECTION_ENABLED,
});

void serve({ app, config, logger, readiness, flushTelemetry: shutdownTelemetry }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
