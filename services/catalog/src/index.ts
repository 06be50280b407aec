// What the catalog is made of, for tests that compose the shop in one process; the program is main.ts.
export { createApp } from './app';
export { ProductCache } from './product-cache';
export { SEED_PRODUCTS } from './products';
export { StockLedger } from './stock';
