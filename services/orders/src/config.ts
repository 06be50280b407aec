import { commonConfig, env } from '@qoslab/http-kit';
import { z } from 'zod';
import { SERVICE_PORTS } from '@qoslab/contracts';

export const configSchema = commonConfig({ port: SERVICE_PORTS.orders }).extend({
  CATALOG_URL: env.url.default(`http://localhost:${SERVICE_PORTS.catalog}`),
  PAYMENTS_URL: env.url.default(`http://localhost:${SERVICE_PORTS.payments}`),
  /** PostgreSQL connection string; unset runs an embedded, in-memory PostgreSQL (PGlite) in-process. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  /** A file holding the database password (a mounted secret), so DATABASE_URL need not carry it. */
  DATABASE_PASSWORD_FILE: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Client-side bound on each query, so a hung database cannot hang requests. */
  DATABASE_QUERY_TIMEOUT_MS: env.milliseconds.min(1).default(5000),
  /** How long start-up waits for the database before giving up. */
  DATABASE_STARTUP_TIMEOUT_MS: env.milliseconds.default(30_000),
});
