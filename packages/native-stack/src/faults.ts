// The ways the Collector can be unavailable to the services, as faults that can be brought and taken
// away again: the reliability tests assert that the services stay correct under each, the benchmark
// measures what each costs their latency.
import { createServer, type Socket } from 'node:net';
import type { ManagedProcess } from './process';

/**
 * - frozen: SIGSTOP; the kernel still accepts connections, nothing ever answers;
 * - stopped: the process is gone, connections are refused;
 * - black hole: stopped, and a listener on its OTLP/HTTP port accepts connections and never replies.
 */
export const COLLECTOR_FAULTS = ['frozen', 'stopped', 'black hole'] as const;
export type CollectorFault = (typeof COLLECTOR_FAULTS)[number];

export interface Fault {
  readonly name: CollectorFault;
  on(): Promise<void>;
  /** Takes the fault away: the Collector runs and is ready again. */
  off(): Promise<void>;
  /** Connections the black hole has accepted so far (0 for the other faults): proof the fault was hit. */
  swallowed(): number;
}

export interface FaultTarget {
  collector: ManagedProcess;
  /** Where the services send OTLP/HTTP. */
  otlpHttp: { host: string; port: number };
  readyTimeoutMs?: number;
}

/** Accepts connections on host:port and never answers. */
async function blackHole(host: string, port: number): Promise<{ close(): Promise<void>; accepted(): number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function collectorFault(name: CollectorFault, target: FaultTarget): Fault {
  const { collector, otlpHttp, readyTimeoutMs = 60_000 } = target;
  const restart = async () => {
    collector.start();
    await collector.waitReady(readyTimeoutMs);
  };
  let hole: Awaited<ReturnType<typeof blackHole>> | undefined;
  let swallowed = 0;
  switch (name) {
    case 'frozen':
      return { name, on: async () => collector.pause(true), off: async () => collector.pause(false), swallowed: () => 0 };
    case 'stopped':
      return { name, on: async () => void (await collector.stop()), off: restart, swallowed: () => 0 };
    case 'black hole':
      return {
        name,
        on: async () => {
          await collector.stop();
          hole = await blackHole(otlpHttp.host, otlpHttp.port);
        },
        off: async () => {
          swallowed += hole?.accepted() ?? 0;
          await hole?.close();
          hole = undefined;
          await restart();
        },
        swallowed: () => swallowed + (hole?.accepted() ?? 0),
      };
  }
}
