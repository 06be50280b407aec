import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (bounded by timeoutMs) and returns its exit status and output. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): RunResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 60_000,
    cwd: options.cwd,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** For waitFor's abortIf: why waiting on this process is pointless, once it has exited. */
  exited: () => string | undefined;
  stop: () => Promise<number | null>;
}

/** Starts a long-running program, keeping the tail of its output for assertion messages. */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => log,
    exited: () => (child.exitCode === null ? undefined : `the process exited with ${child.exitCode}\n${log}`),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    },
  };
}

/** GET returning the body when the status is 2xx, else undefined (for waitFor). */
export async function getOk(url: string): Promise<string | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  const body = await response.text();
  return response.ok ? body : undefined;
}
