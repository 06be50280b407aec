import { createOrder, idempotencyKey, orderListQuery, uuid } from '@qoslab/contracts';
import { createServiceApp, NotFoundError, parseRequest, type Readiness } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import type { Express } from 'express';
import { z } from 'zod';
import type { OrderService } from './order-service';

export interface OrdersDeps {
  logger: Logger;
  readiness: Readiness;
  orders: OrderService;
  faultInjectionEnabled?: boolean;
}

const headers = z.object({ 'idempotency-key': idempotencyKey.optional() });

export function createApp({ logger, readiness, orders, faultInjectionEnabled }: OrdersDeps): Express {
  return createServiceApp({ service: 'orders', logger, readiness, faultInjectionEnabled }, (app) => {
    app.post('/orders', async (req, res) => {
      const key = parseRequest(headers, req.headers, 'headers')['idempotency-key'];
      const body = parseRequest(createOrder, req.body, 'body');
      const { order, replayed } = await orders.place(body, key);
      if (replayed) res.set('idempotent-replayed', 'true');
      res.status(201).location(`/orders/${order.id}`).json(order);
    });

    app.get('/orders/:id', async (req, res) => {
      const { id } = parseRequest(z.object({ id: uuid }), req.params, 'params');
      const order = await orders.get(id);
      if (!order) throw new NotFoundError(`no order ${id}`);
      res.json(order);
    });

    app.get('/orders', async (req, res) => {
      const { limit } = parseRequest(orderListQuery, req.query, 'query');
      res.json({ orders: await orders.list(limit) });
    });
  });
}
