import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getOk, start, waitFor, type Started } from '../pipeline/support';
import { freePort } from '../../tools/stack/process';

export const ROOT = path.resolve(__dirname, '..', '..');
const RUNNER = path.join(ROOT, 'tools', 'loadtest.ts');

/** The kit's services as local processes on loopback, without telemetry. */
export interface Stack {
  urls: Record<string, string>;
  stop: () => Promise<void>;
}

/** Where the services send telemetry; without it they run with OTEL_SDK_DISABLED=true. */
export interface Telemetry {
  otlpEndpoint: string;
}

async function startService(name: string, service: string, env: Record<string, string>, telemetry?: Telemetry): Promise<[Started, string]> {
  const port = await freePort();
  const main = path.join(ROOT, 'services', service, 'src', 'main.ts');
  const otel = telemetry
    ? {
        OTEL_SERVICE_NAME: name,
        OTEL_EXPORTER_OTLP_ENDPOINT: telemetry.otlpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_METRICS_EXPORTER: 'none',
      }
    : { OTEL_SDK_DISABLED: 'true' };
  const preload = telemetry ? ['--require', '@qoslab/telemetry/register'] : [];
  const child = start(process.execPath, [...preload, '--import', 'tsx', main], {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...otel,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${name} to be ready`, () => getOk(`${url}/readyz`), { timeoutMs: 120_000, process: child });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return [child, url];
}

async function startAll(
  specs: Array<[string, string, (urls: Record<string, string>) => Record<string, string>]>,
  telemetry?: Telemetry,
): Promise<Stack> {
  const started: Started[] = [];
  const urls: Record<string, string> = {};
  const stop = async () => {
    await Promise.all(started.map((child) => child.stop()));
  };
  try {
    for (const [name, service, env] of specs) {
      const [child, url] = await startService(name, service, env(urls), telemetry);
      started.push(child);
      urls[name] = url;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, stop };
}

/** catalog, payments, orders (embedded PostgreSQL) and the gateway, in dependency order. */
export function startShop(
  env: Record<string, string> = {},
  perService: Record<string, Record<string, string>> = {},
  telemetry?: Telemetry,
): Promise<Stack> {
  return startAll(
    [
      ['catalog', 'catalog', () => ({ ...env, ...perService.catalog })],
      ['payments', 'payments', () => ({ ...env, ...perService.payments })],
      ['orders', 'orders', (urls) => ({ ...env, CATALOG_URL: urls.catalog!, PAYMENTS_URL: urls.payments!, ...perService.orders })],
      ['gateway', 'gateway', (urls) => ({ ...env, CATALOG_URL: urls.catalog!, ORDERS_URL: urls.orders!, ...perService.gateway })],
    ],
    telemetry,
  );
}

/** The QoS lab's three worker variants (outside Kubernetes they differ only in name). */
export function startWorkers(): Promise<Stack> {
  return startAll(['guaranteed', 'burstable', 'besteffort'].map((qosClass) => [qosClass, 'worker', () => ({})]));
}

export function workerUrls(stack: Stack): string {
  return ['guaranteed', 'burstable', 'besteffort'].map((qosClass) => `${qosClass}=${stack.urls[qosClass]}`).join(',');
}

export interface LoadtestRun {
  code: number | null;
  stdout: string;
  stderr: string;
  summaryDir: string;
}

/**
 * Runs `tools/loadtest.ts` (the command users run) and waits for it without blocking the event loop,
 * so servers in this process keep answering. Killed after timeoutMs.
 */
export function runLoadtest(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<LoadtestRun> {
  const summaryDir = mkdtempSync(path.join(tmpdir(), 'qoslab-loadtest-'));
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, '--summary-dir', summaryDir, ...args], {
    cwd: ROOT,
    env: { ...process.env, K6_NO_COLOR: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, summaryDir });
    });
  });
}

/** What tools/loadtest.ts wrote: loadtest/lib/summary.js's JSON format. */
export interface Summary {
  format: string;
  script: string;
  passed: boolean;
  durationMs: number;
  thresholds: Array<{ metric: string; expression: string; ok: boolean; stat?: string; actual?: number }>;
  checks: Array<{ group: string; name: string; passes: number; fails: number }>;
  metrics: Record<string, { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  setup: unknown;
}

export function readSummary(run: LoadtestRun): Summary {
  return JSON.parse(readFileSync(path.join(run.summaryDir, 'summary.json'), 'utf8')) as Summary;
}

export function describeRun(run: LoadtestRun): string {
  return `exit ${run.code}\n--- stdout (tail)\n${run.stdout.slice(-6000)}\n--- stderr (tail)\n${run.stderr.slice(-4000)}`;
}

/** The k6 JSON output (`--points`): one object per line. */
export function readPoints(file: string): Array<{ type: string; metric: string; data: { tags?: Record<string, string>; metadata?: Record<string, string> } }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; metric: string; data: { tags?: Record<string, string>; metadata?: Record<string, string> } });
}
