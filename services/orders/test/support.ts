import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@qoslab/embedded-postgres';
import { createHttpServer, Readiness, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import express from 'express';
import type { Pool } from 'pg';
import { createApp } from '../src/app';
import { createPool } from '../src/database';
import { migrate } from '../src/migrations';
import { OrderService } from '../src/order-service';
import { OrderRepository } from '../src/repository';
import { PROBLEM_TYPES } from '@qoslab/contracts';

export type Behaviour = 'ok' | 'reject' | 'error' | 'slow';

/** Stand-ins for catalog and payments whose answers a test chooses. */
export class FakeDependencies {
  catalog: Behaviour = 'ok';
  payments: Behaviour = 'ok';
  readonly charges = new Map<string, number>();
  readonly releases: string[] = [];
  private servers: Server[] = [];
  catalogUrl = '';
  paymentsUrl = '';

  async start(): Promise<void> {
    const catalog = express().use(express.json());
    catalog.post('/reservations', (req, res) => {
      if (this.catalog === 'slow') return; // never answers; stop() closes the connection
      if (this.catalog === 'error') return void res.status(500).end();
      if (this.catalog === 'reject') {
        return void res
          .status(409)
          .type('application/problem+json')
          .send(JSON.stringify({ type: PROBLEM_TYPES.outOfStock, title: 'Conflict', status: 409, detail: 'not enough stock for p-002' }));
      }
      const items = req.body.items.map((item: { productId: string; quantity: number }) => ({ ...item, name: `Product ${item.productId}`, unitPriceCents: 1000 }));
      res.status(201).json({ reservationId: req.body.reservationId, items, totalCents: items.reduce((sum: number, item: { quantity: number }) => sum + item.quantity * 1000, 0), currency: 'EUR' });
    });
    catalog.delete('/reservations/:id', (req, res) => {
      this.releases.push(req.params.id);
      res.status(204).end();
    });
    const payments = express().use(express.json());
    payments.post('/charges', (req, res) => {
      if (this.payments === 'slow') return;
      if (this.payments === 'error') return void res.status(503).end();
      if (this.payments === 'reject') {
        return void res.status(402).type('application/problem+json').send(JSON.stringify({ type: PROBLEM_TYPES.paymentDeclined, title: 'Payment declined', status: 402 }));
      }
      this.charges.set(req.body.orderId, (this.charges.get(req.body.orderId) ?? 0) + 1);
      res.status(201).json({ chargeId: `ch_${req.body.orderId}`, orderId: req.body.orderId, status: 'approved', amountCents: req.body.amountCents, currency: 'EUR', cardLast4: req.body.card.number.slice(-4) });
    });
    this.catalogUrl = await this.listen(catalog);
    this.paymentsUrl = await this.listen(payments);
  }

  private async listen(app: express.Express): Promise<string> {
    const server = createHttpServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const server of this.servers) {
      server.closeAllConnections();
      server.close();
    }
  }
}

export interface Harness {
  app: express.Express;
  pool: Pool;
  fakes: FakeDependencies;
  readiness: Readiness;
  postgres: EmbeddedPostgres;
  reset(): Promise<void>;
  countOrders(): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(options: { catalogUrl?: string } = {}): Promise<Harness> {
  const logger = createLogger({ service: 'orders', level: 'silent' });
  const postgres = await startEmbeddedPostgres();
  const pool = createPool({ url: postgres.url, max: 1, queryTimeoutMs: 2000 }, logger);
  await migrate(pool);
  const fakes = new FakeDependencies();
  await fakes.start();
  const repository = new OrderRepository(pool);
  const readiness = new Readiness({ database: () => repository.ping() });
  readiness.markReady();
  const orders = new OrderService(
    repository,
    new Upstream({ name: 'catalog', baseUrl: options.catalogUrl ?? fakes.catalogUrl, timeoutMs: 1500 }),
    new Upstream({ name: 'payments', baseUrl: fakes.paymentsUrl, timeoutMs: 1500 }),
    logger,
  );
  return {
    app: createApp({ logger, readiness, orders, faultInjectionEnabled: true }),
    pool,
    fakes,
    readiness,
    postgres,
    reset: async () => {
      fakes.catalog = 'ok';
      fakes.payments = 'ok';
      fakes.charges.clear();
      fakes.releases.length = 0;
      await pool.query('TRUNCATE orders CASCADE');
    },
    countOrders: async () => Number((await pool.query('SELECT count(*) AS n FROM orders')).rows[0].n),
    close: async () => {
      await fakes.stop();
      await pool.end().catch(() => undefined);
      await postgres.stop().catch(() => undefined);
    },
  };
}

export const card = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

export function orderBody(overrides: Record<string, unknown> = {}) {
  return { customer: { email: 'ada@example.com' }, items: [{ productId: 'p-001', quantity: 2 }], payment: { card }, ...overrides };
}

export function key(): string {
  return randomUUID();
}
