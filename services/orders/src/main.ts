import { readFileSync } from 'node:fs';
import { backOff } from 'exponential-backoff';
import { startEmbeddedPostgres } from '@qoslab/embedded-postgres';
import { loadConfigOrExit, Readiness, serve, Upstream } from '@qoslab/http-kit';
import { createLogger } from '@qoslab/logger';
import { shutdownTelemetry } from '@qoslab/telemetry';
import { createApp } from './app';
import { configSchema } from './config';
import { createPool } from './database';
import { migrate } from './migrations';
import { OrderService } from './order-service';
import { OrderRepository } from './repository';

async function main(): Promise<void> {
  const config = loadConfigOrExit(configSchema);
  const logger = createLogger({ service: 'orders', level: config.LOG_LEVEL });

  const embedded = config.DATABASE_URL ? undefined : await startEmbeddedPostgres();
  if (embedded) logger.warn('DATABASE_URL is not set: using an embedded in-memory PostgreSQL; orders are lost on exit');
  const pool = createPool(
    {
      url: config.DATABASE_URL ?? (embedded?.url as string),
      password: config.DATABASE_PASSWORD_FILE ? readFileSync(config.DATABASE_PASSWORD_FILE, 'utf8').trim() : undefined,
      // PGlite runs one query at a time; one connection keeps transactions from interleaving.
      max: embedded ? 1 : config.DATABASE_POOL_MAX,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    },
    logger,
  );

  // The database may start after orders (compose, Kubernetes): retry with back-off until it answers or the time is up.
  const deadline = Date.now() + config.DATABASE_STARTUP_TIMEOUT_MS;
  const applied = await backOff(() => migrate(pool), {
    numOfAttempts: Number.MAX_SAFE_INTEGER,
    startingDelay: 500,
    timeMultiple: 2,
    maxDelay: 2000,
    retry: (error: unknown, attempt: number) => {
      if (Date.now() >= deadline) return false;
      logger.warn({ err: error, attempt }, 'database not reachable yet; retrying');
      return true;
    },
  });
  logger.info({ applied }, 'database schema is up to date');

  const repository = new OrderRepository(pool);
  const readiness = new Readiness({ database: () => repository.ping() });
  const orders = new OrderService(
    repository,
    new Upstream({ name: 'catalog', baseUrl: config.CATALOG_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    new Upstream({ name: 'payments', baseUrl: config.PAYMENTS_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    logger,
  );
  const app = createApp({ logger, readiness, orders, faultInjectionEnabled: config.FAULT_INJECTION_ENABLED });
  await serve({
    app,
    config,
    logger,
    readiness,
    onClose: [() => pool.end(), ...(embedded ? [() => embedded.stop()] : [])],
    flushTelemetry: shutdownTelemetry,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`orders: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
