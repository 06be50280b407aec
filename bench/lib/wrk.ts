import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { track } from './cleanup';
import { pinnedCommand } from './cpus';
import type { EndpointFigures } from './results';
import { spread } from './stats';

const WRK_SCRIPTS = join(__dirname, '..', 'wrk');

export interface WrkRun {
  url: string;
  /** A script in bench/wrk/ (products.lua, orders.lua, cpu-jobs.lua). */
  script: string;
  connections: number;
  durationSeconds: number;
  /** Arguments after `--`, passed to the script's init(). */
  scriptArgs?: string[];
}

export interface WrkResult {
  requests: number;
  durationSeconds: number;
  /** Completed requests per second. */
  throughput: number;
  /** Requests that failed: non-2xx/3xx answers, socket errors and timeouts. */
  errors: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: Record<'connect' | 'read' | 'write' | 'status' | 'timeout', number>;
  latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
}

/**
 * Runs wrk as its own process (one thread, a fixed number of connections: a closed loop at fixed
 * concurrency) and returns its figures.
 */
export function runWrk(wrk: string, run: WrkRun): Promise<WrkResult> {
  const args = [
    '--threads',
    '1',
    '--connections',
    String(run.connections),
    '--duration',
    `${run.durationSeconds}s`,
    '--timeout',
    '10s',
    '--script',
    join(WRK_SCRIPTS, run.script),
    run.url,
    ...(run.scriptArgs?.length ? ['--', ...run.scriptArgs] : []),
  ];
  return new Promise((resolve, reject) => {
    const [command, argv] = pinnedCommand(wrk, args, 'others');
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = track(async () => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      untrack();
      const line = out.split('\n').find((candidate) => candidate.startsWith('BENCH_WRK '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${run.script} ${run.url} failed (exit ${code}):\n${out.slice(-2000)}`));
        return;
      }
      const parsed = JSON.parse(line.slice('BENCH_WRK '.length)) as WrkJson;
      const durationSeconds = parsed.durationUs / 1e6;
      const ms = (us: number) => us / 1000;
      resolve({
        requests: parsed.requests,
        durationSeconds,
        throughput: parsed.requests / durationSeconds,
        errors: Object.values(parsed.errors).reduce((sum, count) => sum + count, 0),
        latencyMs: {
          mean: ms(parsed.latencyUs.mean),
          p50: ms(parsed.latencyUs.p50),
          p90: ms(parsed.latencyUs.p90),
          p99: ms(parsed.latencyUs.p99),
          p999: ms(parsed.latencyUs.p999),
          max: ms(parsed.latencyUs.max),
        },
      });
    });
  });
}

/** More failed requests than this share makes a measurement worthless: the run stops. */
const MAX_ERROR_SHARE = 0.01;

export function checkErrors(what: string, result: WrkResult): void {
  if (result.requests === 0) throw new Error(`${what}: no request completed`);
  if (result.errors / result.requests > MAX_ERROR_SHARE) {
    throw new Error(`${what}: ${result.errors} of ${result.requests} requests failed; see the service logs`);
  }
}

/** Several runs of one load, summarised. */
export function wrkFigures(results: WrkResult[]): EndpointFigures {
  return {
    throughput: spread(results.map((r) => r.throughput), 1),
    p50Ms: spread(results.map((r) => r.latencyMs.p50), 2),
    p99Ms: spread(results.map((r) => r.latencyMs.p99), 2),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
  };
}
