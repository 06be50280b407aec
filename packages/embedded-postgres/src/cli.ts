#!/usr/bin/env node
// Runs the embedded PostgreSQL as its own process (the native stack), so it can be stopped and
// restarted independently of the services. PGDATA (required), HOST, PORT from the environment.
import { startEmbeddedPostgres } from './index';

async function main(): Promise<void> {
  const dataDir = process.env.PGDATA;
  const port = Number(process.env.PORT ?? '55432');
  if (!dataDir) throw new Error('PGDATA must name the data directory');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const postgres = await startEmbeddedPostgres({ dataDir, port, host: process.env.HOST ?? '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'ready', url: postgres.url.replace(/:[^:@/]+@/, ':***@') })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await postgres.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`embedded-postgres: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
