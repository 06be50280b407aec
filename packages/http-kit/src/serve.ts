import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '@qoslab/logger';
import type { CommonConfig } from './config';
import { statusTitle } from './errors';
import type { Readiness } from './readiness';

const MAX_HEADER_BYTES = 16 * 1024;
/**
 * The last telemetry flush may take this long. A Collector that accepts connections but never answers
 * would otherwise hold the exit for the exporter's whole timeout (10 s by default), past the grace
 * period Kubernetes and Compose allow (SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS + this, with margin).
 */
const TELEMETRY_FLUSH_BUDGET_MS = 5_000;

/**
 * An HTTP server for an app, with limits and a problem+json answer for requests Node rejects before
 * they reach Express (oversized or malformed headers).
 */
export function createHttpServer(app: Express): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000, headersTimeout: 10_000 }, app);
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (error.code === 'ECONNRESET')) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const title = statusTitle(status);
    const body = JSON.stringify({ type: 'about:blank', title, status });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

export interface ServeOptions {
  app: Express;
  config: Pick<CommonConfig, 'PORT' | 'HOST' | 'SHUTDOWN_DELAY_MS' | 'SHUTDOWN_GRACE_MS'>;
  logger: Logger;
  readiness: Readiness;
  /** Closes clients (database pools, ...) after the server has drained. */
  onClose?: Array<() => Promise<void>>;
  /** Flushes telemetry, last of all (main passes the telemetry package's shutdownTelemetry). */
  flushTelemetry?: () => Promise<void>;
  /** Called once listening. */
  onListening?: (address: AddressInfo) => void;
}

/**
 * Listens, then on SIGTERM or SIGINT: readiness 503, keep serving for SHUTDOWN_DELAY_MS so load
 * balancers notice, stop accepting and drain in-flight requests (at most SHUTDOWN_GRACE_MS), close
 * clients, flush telemetry last, exit. An unhandled promise rejection leaves the process in a state
 * nobody planned for: it is logged and the same sequence runs, ending with exit status 1.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { app, config, logger, readiness } = options;
  const server = createHttpServer(app);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  readiness.markReady();
  logger.info({ address: address.address, port: address.port }, 'listening');
  options.onListening?.(address);

  let stopping = false;
  const stop = async (signal: string, failed = false) => {
    if (stopping) return;
    stopping = true;
    process.off('unhandledRejection', onRejection);
    const started = Date.now();
    logger.info({ signal }, 'shutting down: readiness now fails');
    readiness.markDraining();
    if (config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS);

    const forced = setTimeout(() => {
      logger.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_GRACE_MS);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearTimeout(forced);

    let exitCode = failed ? 1 : 0;
    for (const close of options.onClose ?? []) {
      try {
        await close();
      } catch (error) {
        exitCode = 1;
        logger.error({ err: error }, 'closing a client failed');
      }
    }
    logger.info({ durationMs: Date.now() - started }, 'stopped');
    // Telemetry the Collector cannot take (unreachable, or not answering) is lost; that must not keep
    // the process from exiting.
    const flushed = await Promise.race([
      (options.flushTelemetry?.() ?? Promise.resolve()).then(
        () => true,
        (error: unknown) => (logger.warn({ err: error }, 'telemetry could not be flushed'), true),
      ),
      sleep(TELEMETRY_FLUSH_BUDGET_MS).then(() => false),
    ]);
    if (!flushed) logger.warn({ budgetMs: TELEMETRY_FLUSH_BUDGET_MS }, 'telemetry flush took too long; exiting without it');
    logger.flush();
    process.exit(exitCode);
  };
  const onRejection = (reason: unknown) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection: shutting down');
    void stop('unhandledRejection', true);
  };
  process.on('unhandledRejection', onRejection);
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return server;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
