// The whole shop in this process, each service on its own loopback port over real HTTP, wired exactly as
// the services' main.ts wire it (in-memory PostgreSQL for orders). Fast enough for thousands of requests,
// and the way to test telemetry with in-memory exporters (install them before importing this module).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_WORKER_JOB_LIMITS } from '@qoslab/contracts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@qoslab/embedded-postgres';
import { createHttpServer, Readiness, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import type { Express } from 'express';
import { createApp as catalogApp, ProductCache, SEED_PRODUCTS, StockLedger } from '@qoslab/catalog';
import { createApp as gatewayApp } from '@qoslab/gateway';
import { createPool, migrate, createApp as ordersApp, OrderRepository, OrderService } from '@qoslab/orders';
import { createApp as paymentsApp, PaymentProvider } from '@qoslab/payments';
import { JobRunner, type JobLimits, createApp as workerApp } from '@qoslab/worker';

const LOOPBACK = '127.0.0.1';

export interface InProcessShop {
  ports: Record<'gateway' | 'catalog' | 'orders' | 'payments' | 'worker', number>;
  pool: ReturnType<typeof createPool>;
  stock: StockLedger;
  /** Calls of the worker's job runner and of the card provider, which validation must prevent for bad input. */
  jobsRun: () => number;
  chargesMade: () => number;
  close(): Promise<void>;
}

async function listen(app: Express, servers: Server[]): Promise<number> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

export async function startInProcessShop(): Promise<InProcessShop> {
  const servers: Server[] = [];
  const logger = (service: string) => createLogger({ service, level: 'warn' });
  const ready = (checks?: ConstructorParameters<typeof Readiness>[0]) => {
    const readiness = new Readiness(checks);
    readiness.markReady();
    return readiness;
  };
  const faultInjectionEnabled = true;

  const stock = new StockLedger(SEED_PRODUCTS.map((product) => [product.id, product.initialStock]));
  const products = new ProductCache(async () => SEED_PRODUCTS.map(({ initialStock: _stock, ...product }) => product), 30_000);
  const catalog = await listen(catalogApp({ logger: logger('catalog'), readiness: ready(), products, stock, faultInjectionEnabled }), servers);

  let charges = 0;
  const realProvider = new PaymentProvider({ latencyMs: 1, failureRate: 0 });
  const provider = Object.assign(Object.create(realProvider) as PaymentProvider, {
    charge: (request: Parameters<PaymentProvider['charge']>[0]) => (charges++, realProvider.charge(request)),
  });
  const payments = await listen(paymentsApp({ logger: logger('payments'), readiness: ready(), provider, faultInjectionEnabled }), servers);

  const postgres: EmbeddedPostgres = await startEmbeddedPostgres();
  const pool = createPool({ url: postgres.url, max: 1, queryTimeoutMs: 5000 }, logger('orders'));
  await migrate(pool);
  const repository = new OrderRepository(pool);
  const service = new OrderService(
    repository,
    new Upstream({ name: 'catalog', baseUrl: `http://${LOOPBACK}:${catalog}`, timeoutMs: 2000 }),
    new Upstream({ name: 'payments', baseUrl: `http://${LOOPBACK}:${payments}`, timeoutMs: 2000 }),
    logger('orders'),
  );
  const orders = await listen(
    ordersApp({ logger: logger('orders'), readiness: ready({ database: () => repository.ping() }), orders: service, faultInjectionEnabled }),
    servers,
  );

  const gateway = await listen(
    gatewayApp({
      logger: logger('gateway'),
      readiness: ready(),
      catalog: new Upstream({ name: 'catalog', baseUrl: `http://${LOOPBACK}:${catalog}`, timeoutMs: 5000 }),
      orders: new Upstream({ name: 'orders', baseUrl: `http://${LOOPBACK}:${orders}`, timeoutMs: 5000 }),
      faultInjectionEnabled,
    }),
    servers,
  );

  const limits: JobLimits = { ...DEFAULT_WORKER_JOB_LIMITS, maxConcurrentJobs: 64 };
  let jobs = 0;
  const runner = new JobRunner(limits);
  const counting = Object.assign(Object.create(runner) as JobRunner, {
    cpu: (units: number) => (jobs++, runner.cpu(units)),
    memory: (mib: number, holdMs: number) => (jobs++, runner.memory(mib, holdMs)),
  });
  const worker = await listen(workerApp({ logger: logger('worker'), readiness: ready(), runner: counting, limits, faultInjectionEnabled }), servers);

  return {
    ports: { gateway, catalog, orders, payments, worker },
    pool,
    stock,
    jobsRun: () => jobs,
    chargesMade: () => charges,
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      await pool.end().catch(() => undefined);
      await postgres.stop().catch(() => undefined);
    },
  };
}
