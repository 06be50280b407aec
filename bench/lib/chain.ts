import { join } from 'node:path';
import { freePort, ManagedProcess, repoRoot } from '@qoslab/native-stack';
import { track } from './cleanup';
import { pinned } from './cpus';

/**
 * The limit the shop's GET /api/products is measured against: two minimal Express apps (bench/chain/hop.mjs),
 * the first calling the second with the same HTTP client, on the services' core.
 */
export class Chain {
  private readonly untrack: () => void;

  private constructor(
    readonly url: string,
    private readonly hops: ManagedProcess[],
  ) {
    this.untrack = track(() => this.stop());
  }

  static async start(label: string, logDir: string): Promise<Chain> {
    const [front, back] = [await freePort(), await freePort()];
    const hop = (name: string, port: number, upstream?: string) =>
      new ManagedProcess(
        pinned(
          {
            name: `${name}-${label}`,
            command: process.execPath,
            args: [join(repoRoot, 'bench', 'chain', 'hop.mjs')],
            env: { PATH: process.env.PATH, PORT: String(port), ...(upstream ? { UPSTREAM: upstream } : {}) },
            ready: { http: `http://127.0.0.1:${port}/readyz` },
            listens: [port],
          },
          'services',
        ),
        logDir,
      );
    const hops = [hop('chain-back', back), hop('chain-front', front, `http://127.0.0.1:${back}`)];
    const chain = new Chain(`http://127.0.0.1:${front}/api/products`, hops);
    try {
      for (const managed of hops) managed.start();
      await Promise.all(hops.map((managed) => managed.waitReady(30_000)));
    } catch (error) {
      await chain.stop();
      throw error;
    }
    return chain;
  }

  async stop(): Promise<void> {
    this.untrack();
    await Promise.all(this.hops.map((managed) => managed.stop()));
  }
}
