import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Data directory; in memory when absent (nothing survives a restart). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** A connection string for the `pg` driver. Use a pool of one connection: PGlite runs one query at a time. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the PostgreSQL wire protocol so the
 * application talks to it through the ordinary, instrumented `pg` driver.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({
    db,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 8,
  });
  await server.start();
  const [host, port] = splitHostPort(server.getServerConn());
  return {
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

function splitHostPort(connection: string): [string, string] {
  const index = connection.lastIndexOf(':');
  return [connection.slice(0, index), connection.slice(index + 1)];
}
