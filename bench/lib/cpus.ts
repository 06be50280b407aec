import { spawnSync } from 'node:child_process';
import os from 'node:os';
import type { ProcessSpec } from '../../tools/stack/process';

/**
 * The shop's services on core 0, everything else (the Collector, Jaeger, Prometheus, PostgreSQL and wrk)
 * on the other cores, so that "telemetry on against off" is the cost inside the service processes, not
 * CPU the backends take from them. Undefined on a single core or without taskset: the whole machine
 * is then shared, as the report says.
 */
export interface Pinning {
  services: string;
  others: string;
}

function detect(): Pinning | undefined {
  const cores = os.availableParallelism();
  if (cores < 2 || spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  return { services: '0', others: cores === 2 ? '1' : `1-${cores - 1}` };
}

export const PINNING = detect();

/** The spec started by taskset on the given side's cores (taskset execs the program: same pid). */
export function pinned(spec: ProcessSpec, side: keyof Pinning): ProcessSpec {
  if (!PINNING) return spec;
  return { ...spec, command: 'taskset', args: ['--cpu-list', PINNING[side], spec.command, ...spec.args] };
}
