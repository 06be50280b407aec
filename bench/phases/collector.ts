// The Collector: the highest span rate it takes with the shipped config (exporting to the real Jaeger and
// Prometheus) without refusing or dropping anything, offered by a generator in its own process at
// stepped rates, read from the Collector's own metrics (:8888).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CollectorMetrics, ManagedProcess, readCpuSeconds, readRss, repoRoot } from '@qoslab/native-stack';
import { track } from '../lib/cleanup';

import { type Context, shopOptions } from '../lib/context';
import type { CollectorResults, CollectorStep } from '../lib/results';
import { backendSpec, url } from '../lib/shop';
import { spread } from '../lib/stats';

const JAEGER_EXPORTER = { exporter: 'otlp_grpc/jaeger' };
const PROMETHEUS_EXPORTER = { exporter: 'otlp_http/prometheus' };
/** Below this share of the offered rate, the generator was held back: the rate was not sustained. */
const MIN_ACHIEVED_SHARE = 0.95;

interface GeneratorSummary {
  sentSpans: number;
  acceptedSpans: number;
  rejected: Record<string, number>;
  achievedSpansPerSecond: number;
}

function counters(metrics: CollectorMetrics) {
  return {
    accepted: metrics.sum('otelcol_receiver_accepted_spans'),
    refused: metrics.sum('otelcol_receiver_refused_spans') + metrics.sum('otelcol_receiver_failed_spans'),
    sent: metrics.sum('otelcol_exporter_sent_spans', JAEGER_EXPORTER),
    sendFailed: metrics.sum('otelcol_exporter_send_failed_spans'),
    enqueueFailed: metrics.sum('otelcol_exporter_enqueue_failed_spans'),
    failedMetricPoints:
      metrics.sum('otelcol_exporter_send_failed_metric_points', PROMETHEUS_EXPORTER) +
      metrics.sum('otelcol_exporter_enqueue_failed_metric_points', PROMETHEUS_EXPORTER),
  };
}

async function restartCollector(context: Context): Promise<ManagedProcess> {
  await context.backends.get('otel-collector')?.stop();
  const collector = new ManagedProcess(backendSpec('otel-collector', shopOptions(context)), context.logDir);
  collector.start();
  await collector.waitReady(60_000);
  context.backends.set('otel-collector', collector);
  return collector;
}

function runGenerator(endpoint: string, rate: number, seconds: number, onPid: (pid: number) => void): Promise<GeneratorSummary> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'otlp-generator.ts'), '--endpoint', endpoint, '--rate', String(rate), '--duration', String(seconds)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid !== undefined) onPid(child.pid);
  const untrack = track(async () => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      untrack();
      const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`the OTLP generator failed (exit ${code}): ${out.slice(-1500)}`));
      else resolve(JSON.parse(line) as GeneratorSummary);
    });
  });
}

async function step(context: Context, collector: ManagedProcess, rate: number): Promise<CollectorStep> {
  const { stepSeconds, drainSeconds } = context.settings.collector;
  const pid = collector.pid;
  if (pid === undefined) throw new Error('the Collector is not running');
  const metricsUrl = url(context.ports, 'collectorMetrics', '/metrics');
  const before = counters(await CollectorMetrics.scrape(metricsUrl));
  const cpuBefore = readCpuSeconds(pid);
  let generatorPid: number | undefined;
  let generatorCpu = 0;
  let maxQueue = 0;
  let capacity = 0;
  let maxRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const metrics = await CollectorMetrics.scrape(metricsUrl);
        maxQueue = Math.max(maxQueue, metrics.sum('otelcol_exporter_queue_size', JAEGER_EXPORTER));
        capacity = metrics.sum('otelcol_exporter_queue_capacity', JAEGER_EXPORTER);
        maxRss = Math.max(maxRss, readRss(pid).rssMiB);
        if (generatorPid !== undefined) generatorCpu = readCpuSeconds(generatorPid);
      } catch {
        // A missed sample (the generator just exited) changes nothing.
      }
      await sleep(500);
    }
  })();
  const started = performance.now();
  const generator = await runGenerator(url(context.ports, 'otlpHttp'), rate, stepSeconds, (child) => (generatorPid = child));
  const loadSeconds = (performance.now() - started) / 1000;
  const collectorCores = (readCpuSeconds(pid) - cpuBefore) / loadSeconds;

  // Everything accepted must leave for Jaeger within drainSeconds; a queue that does not empty means the
  // rate would fill it and drop data if it went on.
  const drainStarted = performance.now();
  let drain: number | null = null;
  for (;;) {
    const now = counters(await CollectorMetrics.scrape(metricsUrl));
    if (now.sent - before.sent >= now.accepted - before.accepted && now.accepted - before.accepted >= generator.acceptedSpans) {
      drain = (performance.now() - drainStarted) / 1000;
      break;
    }
    if (performance.now() - drainStarted > drainSeconds * 1000) break;
    await sleep(250);
  }
  sampling = false;
  await sampler;
  const after = counters(await CollectorMetrics.scrape(metricsUrl));

  const result: CollectorStep = {
    targetSpansPerSecond: rate,
    achievedSpansPerSecond: generator.achievedSpansPerSecond,
    sentSpans: generator.sentSpans,
    acceptedSpans: after.accepted - before.accepted,
    refusedSpans: after.refused - before.refused,
    sendFailedSpans: after.sendFailed - before.sendFailed,
    enqueueFailedSpans: after.enqueueFailed - before.enqueueFailed,
    failedMetricPoints: after.failedMetricPoints - before.failedMetricPoints,
    generatorRejectedSpans: Object.values(generator.rejected).reduce((a, b) => a + b, 0),
    maxQueueSize: maxQueue,
    queueCapacity: capacity,
    drainSeconds: drain === null ? null : Math.round(drain * 10) / 10,
    collectorCores: Math.round(collectorCores * 1000) / 1000,
    collectorRssMiB: Math.round(maxRss * 10) / 10,
    generatorCores: Math.round((generatorCpu / loadSeconds) * 1000) / 1000,
    sustained: false,
    reason: '',
  };
  const problems: string[] = [];
  if (result.refusedSpans > 0) problems.push(`${result.refusedSpans} spans refused or failed at the receiver`);
  if (result.sendFailedSpans > 0) problems.push(`${result.sendFailedSpans} spans failed to send`);
  if (result.enqueueFailedSpans > 0) problems.push(`${result.enqueueFailedSpans} spans dropped (queue full)`);
  if (result.failedMetricPoints > 0) problems.push(`${result.failedMetricPoints} metric points dropped`);
  if (result.generatorRejectedSpans > 0) problems.push(`${result.generatorRejectedSpans} spans rejected (${JSON.stringify(generator.rejected)})`);
  if (result.achievedSpansPerSecond < rate * MIN_ACHIEVED_SHARE) problems.push(`only ${result.achievedSpansPerSecond} spans/s could be sent`);
  if (drain === null) problems.push(`the queue to Jaeger did not drain within ${drainSeconds} s`);
  result.sustained = problems.length === 0;
  result.reason = result.sustained ? 'sustained' : problems.join('; ');
  return result;
}

export async function runCollector(context: Context): Promise<CollectorResults> {
  const { rates, repetitions } = context.settings.collector;
  const runs: CollectorResults['repetitions'] = [];
  for (let rep = 1; rep <= repetitions; rep++) {
    context.log(`collector: repetition ${rep} of ${repetitions} (a fresh Collector)`);
    const collector = await restartCollector(context);
    const steps: CollectorStep[] = [];
    for (const rate of rates) {
      const result = await step(context, collector, rate);
      steps.push(result);
      context.log(
        `  ${String(rate).padStart(6)} spans/s offered: ${result.reason} (Collector ${result.collectorCores.toFixed(2)} cores, ` +
          `${result.collectorRssMiB.toFixed(0)} MiB, queue max ${result.maxQueueSize})`,
      );
      if (!collector.running) throw new Error(`the Collector exited during the step at ${rate} spans/s:\n${collector.tail()}`);
      if (!result.sustained) break;
      // A pause between steps, so one step's backlog in Jaeger does not count against the next.
      await sleep(2000);
    }
    const sustained = steps.filter((one) => one.sustained);
    runs.push({ maxSustainedSpansPerSecond: sustained.at(-1)?.targetSpansPerSecond ?? 0, steps });
  }
  const atMax = runs.map((run) => run.steps.filter((one) => one.sustained).at(-1));
  const found = atMax.filter((one): one is CollectorStep => one !== undefined);
  return {
    repetitions: runs,
    maxSustainedSpansPerSecond: spread(runs.map((run) => run.maxSustainedSpansPerSecond), 0),
    limitedByLadder: runs.some((run) => run.steps.length === rates.length && run.steps.every((one) => one.sustained)),
    atMax: {
      collectorCores: found.length ? spread(found.map((one) => one.collectorCores), 3) : spread([0]),
      collectorRssMiB: found.length ? spread(found.map((one) => one.collectorRssMiB), 1) : spread([0]),
    },
  };
}
