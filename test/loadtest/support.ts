import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { repoRoot, type StackOptions } from '@qoslab/native-stack';
import { startTestStack, type TestStack } from '../lib/stack';

const RUNNER = path.join(repoRoot, 'tools', 'loadtest.ts');

/** Started shop or workers: the URL of each by name, and how to stop them all. */
export interface Stack {
  urls: Record<string, string>;
  stop: () => Promise<void>;
}

const SHOP = ['postgres', 'catalog', 'payments', 'orders', 'gateway'];

/**
 * The native stack's shop (@qoslab/native-stack, as `npm start` runs it) on free ports, with the telemetry
 * pipeline when `telemetry` is set (Collector and Jaeger; the services export to it), otherwise with
 * OTEL_SDK_DISABLED=true. `envOf` adds environment per service.
 */
export async function startShop(options: { env?: Record<string, string>; envOf?: StackOptions['envOf']; telemetry?: boolean } = {}): Promise<Stack & { test: TestStack }> {
  const test = await startTestStack({
    only: options.telemetry ? [...SHOP, 'otel-collector', 'jaeger'] : SHOP,
    serviceEnv: { ...(options.telemetry ? {} : { OTEL_SDK_DISABLED: 'true' }), LOG_LEVEL: 'warn', ...options.env },
    envOf: options.envOf,
  });
  return { test, urls: { gateway: test.url('gateway'), jaeger: test.url('jaegerQuery') }, stop: () => test.stop() };
}

/** The QoS lab's three worker variants: outside Kubernetes they differ only in name (one stack each). */
export async function startWorkers(): Promise<Stack> {
  const classes = ['guaranteed', 'burstable', 'besteffort'];
  const stacks = await Promise.all(classes.map(() => startTestStack({ only: ['worker'], serviceEnv: { OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' } })));
  return {
    urls: Object.fromEntries(classes.map((qosClass, index) => [qosClass, (stacks[index] as TestStack).url('worker')])),
    stop: async () => {
      await Promise.all(stacks.map((stack) => stack.stop()));
    },
  };
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
    cwd: repoRoot,
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
