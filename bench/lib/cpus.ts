import { spawnSync } from 'node:child_process';
import os from 'node:os';
import type { ProcessSpec } from '@qoslab/native-stack';

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

/** The command line that runs a program on the given side's cores (taskset execs it: same pid). */
export function pinnedCommand(command: string, args: string[], side: keyof Pinning): [string, string[]] {
  return PINNING ? ['taskset', ['--cpu-list', PINNING[side], command, ...args]] : [command, args];
}

export function pinned(spec: ProcessSpec, side: keyof Pinning): ProcessSpec {
  const [command, args] = pinnedCommand(spec.command, spec.args, side);
  return { ...spec, command, args };
}
