import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LabError } from '@qoslab/lab';
import { NETWORK } from './settings';

export { sleep, until } from '@qoslab/lab';

/** A failure the CLI reports as one line (and exits 1); like the lab's own, it ends a wait at once. */
export class ClusterError extends LabError {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

export function run(command: string, args: string[], options: RunOptions = {}): Result {
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env ?? process.env,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) return { status: null, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error.message}` };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command; fails with its last output lines unless it exits 0. Returns stdout. */
export function must(command: string, args: string[], options: RunOptions = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-8).join('\n');
    throw new ClusterError(`${command} ${args.join(' ')} failed (exit ${result.status}): ${output}`);
  }
  return result.stdout;
}

export const netnsPath = (name: string = NETWORK.netns): string => join('/run/netns', name);

/** The argv prefix that runs a program in the node's network namespace (and only that namespace). */
export const inNode = (command: string, args: string[]): [string, string[]] => ['nsenter', [`--net=${netnsPath()}`, '--', command, ...args]];
