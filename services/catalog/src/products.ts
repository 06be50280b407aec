import type { Product } from '@qoslab/contracts';

/** What the product source knows; stock lives in the StockLedger. */
export type ProductInfo = Omit<Product, 'stock'>;

export interface SeedProduct extends ProductInfo {
  initialStock: number;
}

/** The shop's assortment. p-012 starts sold out so the out-of-stock path is always reachable. */
export const SEED_PRODUCTS: SeedProduct[] = [
  { id: 'p-001', name: 'Trace Mug', description: 'Holds one span of coffee.', priceCents: 1299, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-002', name: 'Collector Cap', description: 'Receives, processes, exports sunshine.', priceCents: 1999, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-003', name: 'Histogram Hoodie', description: 'Warm in every bucket.', priceCents: 4999, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-004', name: 'Baggage Tote', description: 'Propagates whatever you put in it.', priceCents: 1599, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-005', name: 'Exemplar Notebook', description: 'Links every metric to a story.', priceCents: 899, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-006', name: 'Guaranteed Socks', description: 'Request equals limit. No surprises.', priceCents: 999, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-007', name: 'Burstable Beanie', description: 'Uses idle warmth when it can.', priceCents: 1499, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-008', name: 'BestEffort Badge', description: 'First to go under memory pressure.', priceCents: 299, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-009', name: 'Throttle Sticker Pack', description: 'One per CFS period.', priceCents: 499, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-010', name: 'Span Lanyard', description: 'Parent and child, linked.', priceCents: 699, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-011', name: 'OOM Killer Plush', description: 'Picks the highest oom_score_adj.', priceCents: 2499, currency: 'EUR', initialStock: 1_000_000 },
  { id: 'p-012', name: 'Limited Edition Pager', description: 'Sold out: on call elsewhere.', priceCents: 9999, currency: 'EUR', initialStock: 0 },
];
