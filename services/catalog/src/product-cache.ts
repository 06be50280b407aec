import { metrics, trace } from '@opentelemetry/api';
import type { ProductInfo } from './products';
import { METRICS } from '@qoslab/contracts/metrics';

const meter = metrics.getMeter('@qoslab/catalog');
const tracer = trace.getTracer('@qoslab/catalog');
const lookups = meter.createCounter(METRICS.cacheLookups.name, METRICS.cacheLookups);

/**
 * Product data comes from a slow source (simulated with a delay) and is cached in memory for a TTL.
 * Concurrent misses share one load, so a cold cache under load costs one source call, not hundreds.
 */
export class ProductCache {
  private cached?: { products: ProductInfo[]; expiresAt: number };
  private loading?: Promise<ProductInfo[]>;

  constructor(
    private readonly source: () => Promise<ProductInfo[]>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async all(): Promise<ProductInfo[]> {
    if (this.cached && this.cached.expiresAt > this.now()) {
      lookups.add(1, { 'shop.cache.result': 'hit' });
      return this.cached.products;
    }
    lookups.add(1, { 'shop.cache.result': 'miss' });
    this.loading ??= tracer
      .startActiveSpan('catalog.load_products', async (span) => {
        try {
          const products = await this.source();
          span.setAttribute('shop.product.count', products.length);
          this.cached = { products, expiresAt: this.now() + this.ttlMs };
          return products;
        } finally {
          span.end();
        }
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  async byId(id: string): Promise<ProductInfo | undefined> {
    return (await this.all()).find((product) => product.id === id);
  }
}
