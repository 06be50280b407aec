import type { Product } from '@qoslab/contracts';
import { reservationRequest, uuid, productId } from '@qoslab/contracts';
import { createServiceApp, NotFoundError, parseRequest, type Readiness } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import type { Express } from 'express';
import { z } from 'zod';
import type { ProductCache } from './product-cache';
import type { StockLedger } from './stock';

export interface CatalogDeps {
  logger: Logger;
  readiness: Readiness;
  products: ProductCache;
  stock: StockLedger;
  faultInjectionEnabled?: boolean;
}

export function createApp({ logger, readiness, products, stock, faultInjectionEnabled }: CatalogDeps): Express {
  const withStock = (product: Omit<Product, 'stock'>): Product => ({ ...product, stock: stock.stockOf(product.id) ?? 0 });

  return createServiceApp({ service: 'catalog', logger, readiness, faultInjectionEnabled }, (app) => {
    app.get('/products', async (_req, res) => {
      res.json({ products: (await products.all()).map(withStock) });
    });

    app.get('/products/:id', async (req, res) => {
      const { id } = parseRequest(z.object({ id: productId }), req.params, 'params');
      const product = await products.byId(id);
      if (!product) throw new NotFoundError(`no product ${id}`);
      res.json(withStock(product));
    });

    app.post('/reservations', async (req, res) => {
      const body = parseRequest(reservationRequest, req.body, 'body');
      const catalog = new Map((await products.all()).map((product) => [product.id, product]));
      const { reservation, created } = stock.reserve(body.reservationId, body.items, catalog);
      res.status(created ? 201 : 200).json(reservation);
    });

    app.delete('/reservations/:id', (req, res) => {
      const { id } = parseRequest(z.object({ id: uuid }), req.params, 'params');
      stock.release(id);
      res.status(204).end();
    });
  });
}
