import { ServiceUnavailableError } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import pg from 'pg';

export interface PoolOptions {
  url: string;
  /** Overrides the password in the URL (read from DATABASE_PASSWORD_FILE). */
  password?: string;
  max: number;
  queryTimeoutMs: number;
}

/** pg lets the connection string win over a separate password, so the password goes into the URL. */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

export function createPool(options: PoolOptions, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withPassword(options.url, options.password),
    max: options.max,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 10_000,
    query_timeout: options.queryTimeoutMs,
    application_name: 'orders',
  });
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  // A checked-out client (a transaction in repository.confirm, the migration) emits 'error' on the
  // client itself, where the pool listens only while it is idle. Its query in flight fails with the
  // same error, so this listener only keeps the process alive.
  pool.on('connect', (client) => client.on('error', (error) => logger.debug({ err: error }, 'database connection failed')));
  return pool;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** True when the error means the database cannot be reached, as opposed to a bad query. */
export function isUnavailable(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown };
  if (typeof candidate?.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) return true;
  const message = typeof candidate?.message === 'string' ? candidate.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}

/** Runs a database call; an unreachable database becomes a 503 problem instead of a 500. */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUnavailable(error)) throw new ServiceUnavailableError('the orders database is unavailable; retry later');
    throw error;
  }
}
