import { join } from 'node:path';
import type { Order, Product } from '@qoslab/contracts';
import { idempotencyKey, orderListQuery, productId, uuid } from '@qoslab/contracts';
import { createServiceApp, parseRequest, type Readiness, type Upstream } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import express, { type Express } from 'express';
import { z } from 'zod';

export interface GatewayDeps {
  logger: Logger;
  readiness: Readiness;
  catalog: Upstream;
  orders: Upstream;
  faultInjectionEnabled?: boolean;
  /** The lab console's address, linked from the shop page so a new order's trace is one click away. */
  consoleUrl?: string;
}

const PUBLIC_DIR = join(__dirname, '..', 'public');

/** The public API and the shop page. Validation of order bodies is the orders service's job. */
export function createApp({ logger, readiness, catalog, orders, faultInjectionEnabled, consoleUrl }: GatewayDeps): Express {
  return createServiceApp({ service: 'gateway', logger, readiness, faultInjectionEnabled }, (app) => {
    app.get('/api/products', async (_req, res) => {
      const { body } = await catalog.request<{ products: Product[] }>('/products');
      res.json(body);
    });

    app.get('/api/products/:id', async (req, res) => {
      const { id } = parseRequest(z.object({ id: productId }), req.params, 'params');
      const { body } = await catalog.request<Product>(`/products/${id}`);
      res.json(body);
    });

    app.post('/api/orders', async (req, res) => {
      const { 'idempotency-key': key } = parseRequest(z.object({ 'idempotency-key': idempotencyKey.optional() }), req.headers, 'headers');
      const { status, headers, body } = await orders.request<Order>('/orders', {
        method: 'POST',
        body: req.body ?? {},
        headers: key ? { 'idempotency-key': key } : {},
      });
      const replayed = headers.get('idempotent-replayed');
      if (replayed) res.set('idempotent-replayed', replayed);
      res.status(status).location(`/api/orders/${body.id}`).json(body);
    });

    app.get('/api/orders', async (req, res) => {
      const { limit } = parseRequest(orderListQuery, req.query, 'query');
      const { body } = await orders.request<{ orders: Order[] }>(`/orders?limit=${limit}`);
      res.json(body);
    });

    // Fans out: the order and the current catalog entries of its products, fetched in parallel.
    app.get('/api/orders/:id', async (req, res) => {
      const { id } = parseRequest(z.object({ id: uuid }), req.params, 'params');
      const [order, products] = await Promise.all([
        orders.request<Order>(`/orders/${id}`),
        catalog.request<{ products: Product[] }>('/products'),
      ]);
      const wanted = new Set(order.body.items.map((item) => item.productId));
      res.json({ ...order.body, products: products.body.products.filter((product) => wanted.has(product.id)) });
    });

    app.get('/api/links', (_req, res) => {
      res.json({ console: consoleUrl ?? null });
    });

    // Last, so API requests do not pay for a file-system lookup.
    app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m', redirect: false }));
  });
}
