import type { ManagedProcess, Ports } from '@qoslab/native-stack';
import type { Settings } from './settings';
import type { Backend, ShopOptions } from './shop';

export interface Context {
  settings: Settings;
  wrk: string;
  /** Scratch space of this run: logs, data directories. */
  runDir: string;
  logDir: string;
  log: (line: string) => void;
  /** Free ports for every program of the stack, chosen at the start of the run. */
  ports: Ports;
  /** The observability backends, running for the whole run (the Collector is restarted by its phase). */
  backends: Map<Exclude<Backend, 'postgres'>, ManagedProcess>;
}

export function shopOptions(context: Context): ShopOptions {
  return {
    runDir: context.runDir,
    metricExportIntervalMs: context.settings.metricExportIntervalMs,
    ports: context.ports,
    containedLimitsMiB: context.settings.overhead.containedLimitsMiB,
  };
}

export function backendPids(context: Context): Map<string, number> {
  const pids = new Map<string, number>();
  for (const [name, managed] of context.backends) {
    if (managed.pid === undefined || !managed.running) throw new Error(`${name} is not running:\n${managed.tail()}`);
    pids.set(name, managed.pid);
  }
  return pids;
}
