// Keeps the benchmark harness working: runs it in quick mode (tiny durations) and checks that it
// completes and writes well-formed results with every figure, and the report. No timing is asserted:
// figures of a quick run on a CI machine mean nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Results } from '@qoslab/bench/lib/results';
import { isSpread, type Spread } from '@qoslab/bench/lib/stats';
import { COLLECTOR_FAULTS, repoRoot, SERVICES, toolPath } from '@qoslab/native-stack';

const BACKENDS = ['otel-collector', 'jaeger', 'prometheus', 'postgres'];
const TIMEOUT_MS = 12 * 60_000;

let dir: string;
let results: Results;
let stderr = '';

function assertSpread(value: unknown, what: string): asserts value is Spread {
  assert.ok(isSpread(value), `${what} is not a spread of finite numbers: ${JSON.stringify(value)}`);
}

before(async () => {
  // Built outside the timer: on an empty tool cache these builds alone take about 18 minutes.
  for (const tool of ['otelcol', 'jaeger', 'prometheus'] as const) toolPath(tool);
  dir = mkdtempSync(join(tmpdir(), 'qoslab-bench-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'bench', 'run.ts'), '--quick', '--out', join(dir, 'results.json'), '--docs-dir', join(dir, 'docs')],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `bench/run.ts --quick failed:\n${stderr}`);
  results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bench/run.ts --quick', { timeout: TIMEOUT_MS + 60_000 }, () => {
  test('describes the machine and the settings it ran with', () => {
    assert.equal(results.schema, 1);
    assert.equal(results.mode, 'quick');
    const { machine } = results;
    assert.ok(machine.cpuModel.length > 0 && machine.cores > 0 && machine.memoryGiB > 0);
    assert.match(machine.node, /^v\d+\./);
    for (const [tool, version] of Object.entries(machine.tools)) assert.ok(version.length > 0 && version !== 'unknown', `no version of ${tool}`);
    assert.equal(typeof machine.loadAverage.after, 'number');
    assert.ok(Date.parse(results.finishedAt) >= Date.parse(results.startedAt));
  });

  test('overhead: every endpoint and configuration has throughput, latencies and ratios to the baseline', () => {
    const { overhead, settings } = results;
    const configs = settings.overhead.configs.filter((config) => !(config in overhead.skipped));
    assert.equal(overhead.baseline, 'off');
    assert.equal(overhead.telemetry, 'curated');
    for (const endpoint of ['products', 'orders'] as const) {
      const data = overhead.endpoints[endpoint];
      for (const config of configs) {
        const figures = data.byConfig[config];
        assert.ok(figures, `${endpoint}: no figures for ${config}`);
        assertSpread(figures.throughput, `${endpoint}/${config} throughput`);
        assertSpread(figures.p50Ms, `${endpoint}/${config} p50`);
        assertSpread(figures.p99Ms, `${endpoint}/${config} p99`);
        assert.equal(figures.throughput.n, settings.overhead.repetitions);
        assert.ok(figures.requests > 0, `${endpoint}/${config}: no request completed`);
        assert.ok(figures.errors <= figures.requests * 0.01, `${endpoint}/${config}: ${figures.errors} failed requests`);
        if (config === overhead.baseline) continue;
        for (const metric of ['throughput', 'p50', 'p99'] as const) assertSpread(data.ratiosToBaseline[config]?.[metric], `${endpoint}/${config} ${metric} ratio`);
      }
    }
  });

  test('the two-hop Express chain ran in every repetition, beside the baseline it is compared with', () => {
    const { chain } = results.overhead;
    assertSpread(chain.products.throughput, 'chain throughput');
    assertSpread(chain.products.p99Ms, 'chain p99');
    assert.equal(chain.products.throughput.n, results.settings.overhead.repetitions);
    assert.ok(chain.products.requests > 0 && chain.products.errors <= chain.products.requests * 0.01, `chain: ${chain.products.errors} of ${chain.products.requests} failed`);
    assertSpread(chain.baselineOverChain, 'baseline over chain');
    assertSpread(chain.baselineP99OverP50, 'baseline p99 over p50');
    assert.ok(chain.baselineP99OverP50.min >= 1, 'a p99 below its p50');
  });

  test('CPU profiles of the gateway and the catalog, telemetry off and on, name the instrumentations', () => {
    for (const config of ['off', 'curated']) {
      for (const service of ['gateway', 'catalog']) {
        const summary = results.profile.byConfig[config]?.[service];
        assert.ok(summary, `no profile of ${service} (${config})`);
        assert.ok(summary.samples > 0 && summary.topSelf.length > 0, `${service} (${config}): an empty profile`);
        assert.ok(summary.idle >= 0 && summary.idle < 1 && summary.gc >= 0 && summary.gc <= 1);
      }
    }
    const packages = (config: string) => results.profile.byConfig[config]?.gateway?.packages.map((entry) => entry.name) ?? [];
    // The kit's http-server instrumentation wraps the server's emit: its frame is under every traced request.
    assert.ok(packages('curated').includes('@qoslab/telemetry'), `telemetry on, but no @qoslab/telemetry among ${packages('curated').join(', ')}`);
    assert.ok(!packages('off').some((name) => name.startsWith('@opentelemetry/instrumentation-')), `telemetry off, yet ${packages('off').join(', ')}`);
  });

  test('CPU and memory of every service and backend; heap of every service with telemetry on', () => {
    const { overhead, settings } = results;
    for (const config of settings.overhead.configs.filter((one) => !(one in overhead.skipped))) {
      for (const program of [...SERVICES, ...BACKENDS]) {
        const cpu = overhead.cpu[config]?.[program];
        assert.ok(cpu, `no CPU figures of ${program} (${config})`);
        assertSpread(cpu.idleCores, `${program}/${config} idle cores`);
        for (const load of ['products', 'orders', 'worker'] as const) assertSpread(cpu.loadCores[load], `${program}/${config} cores (${load})`);
        for (const load of ['products', 'orders'] as const) assertSpread(cpu.msPerRequest[load], `${program}/${config} ms/request (${load})`);
        const memory = overhead.memory[config]?.[program];
        assert.ok(memory, `no memory figures of ${program} (${config})`);
        assertSpread(memory.idleRssMiB, `${program}/${config} idle RSS`);
        assertSpread(memory.loadRssMiB, `${program}/${config} RSS under load`);
        assert.ok(memory.loadRssMiB.min > 0);
      }
      assertSpread(overhead.workerThroughput[config], `worker throughput (${config})`);
    }
    for (const service of SERVICES) {
      const heap = overhead.memory.curated?.[service]?.heap;
      assert.ok(heap, `no heap figures of ${service}`);
      assertSpread(heap.idleUsedMiB, `${service} heap used idle`);
      assertSpread(heap.loadUsedMiB, `${service} heap used under load`);
      assertSpread(heap.loadTotalMiB, `${service} heap total under load`);
      assert.ok(heap.loadUsedMiB.max <= heap.loadTotalMiB.max, `${service}: heap used above heap total`);
    }
  });

  test('start-up: every service in every configuration, ratios to no telemetry, and the preload probes', () => {
    const { startup, settings } = results;
    assert.equal(startup.baseline, 'off');
    for (const service of SERVICES) {
      for (const config of settings.startup.configs) {
        const spread = startup.byService[service]?.[config];
        assertSpread(spread, `${service}/${config} start-up`);
        assert.equal(spread.n, settings.startup.repetitions);
        assert.ok(spread.min > 0);
        if (config !== startup.baseline) assertSpread(startup.ratiosToBaseline[service]?.[config], `${service}/${config} start-up ratio`);
      }
    }
    for (const probe of ['bareNode', 'register', 'sdkNodeLoad'] as const) assertSpread(startup.preload[probe], `preload probe ${probe}`);
  });

  test('breakdown: every configuration measured in every repetition, each against telemetry off', () => {
    const { breakdown, settings } = results;
    assert.ok(breakdown, 'no breakdown in the results');
    assert.equal(breakdown.baseline, 'off');
    assert.deepEqual(Object.keys(breakdown.byConfig).sort(), [...settings.breakdown.configs].sort());
    for (const [config, figures] of Object.entries(breakdown.byConfig)) {
      assert.equal(figures.throughput.n, settings.breakdown.repetitions, `${config}: not one figure per repetition`);
      assert.ok(figures.requests > 0 && figures.errors <= figures.requests * 0.01, `${config}: ${figures.errors} of ${figures.requests} failed`);
      if (config === breakdown.baseline) assert.equal(breakdown.throughputToBaseline[config], undefined);
      else assertSpread(breakdown.throughputToBaseline[config], `${config} throughput over off`);
    }
  });

  test('the Collector unavailable: each fault measured in every repetition, beside the Collector up', () => {
    const { outage, settings } = results;
    assert.deepEqual(Object.keys(outage.byFault).sort(), [...COLLECTOR_FAULTS].sort());
    for (const [fault, figures] of Object.entries(outage.byFault)) {
      for (const side of ['during', 'baseline'] as const) {
        assert.equal(figures[side].p50Ms.n, settings.outage.repetitions, `${fault} ${side}: not one figure per repetition`);
        assert.ok(figures[side].requests > 0 && figures[side].errors <= figures[side].requests * 0.01, `${fault} ${side}: ${figures[side].errors} of ${figures[side].requests} failed`);
      }
      assertSpread(figures.p50, `${fault} p50 ratio`);
      assertSpread(figures.p99, `${fault} p99 ratio`);
      assert.ok(results.goals.some((goal) => goal.id === `outage-${fault.replace(/ /g, '-')}`), `no goal for ${fault}`);
    }
  });

  test('the Collector: each repetition stepped through rates and read its own metrics', () => {
    const { collector, settings } = results;
    assert.equal(collector.repetitions.length, settings.collector.repetitions);
    for (const run of collector.repetitions) {
      assert.ok(run.steps.length >= 1);
      for (const step of run.steps) {
        assert.ok(settings.collector.rates.includes(step.targetSpansPerSecond));
        assert.ok(step.sentSpans > 0, 'the generator sent nothing');
        assert.ok(step.queueCapacity > 0, 'no queue capacity read from the Collector');
        assert.equal(typeof step.sustained, 'boolean');
        assert.ok(step.reason.length > 0);
        // When a step is sustained, every span the generator had accepted reached the Collector's receiver.
        if (step.sustained) assert.ok(step.acceptedSpans >= step.sentSpans - step.generatorRejectedSpans);
      }
      const sustained = run.steps.filter((step) => step.sustained).at(-1);
      assert.equal(run.maxSustainedSpansPerSecond, sustained?.targetSpansPerSecond ?? 0);
    }
    assertSpread(collector.maxSustainedSpansPerSecond, 'highest sustained rate');
    assertSpread(collector.atMax.collectorCores, 'Collector cores at the highest rate');
    assertSpread(collector.atMax.collectorRssMiB, 'Collector RSS at the highest rate');
  });

  test('goals and sizing are derived for every service', () => {
    for (const service of SERVICES) {
      for (const id of [`startup-${service}`, `rss-curated-${service}`]) {
        const goal = results.goals.find((one) => one.id === id);
        assert.ok(goal, `no goal ${id}`);
        assert.equal(typeof goal.met, 'boolean');
        if (!goal.met) assert.ok(goal.missedBy, `${id} is missed but says not by how much`);
      }
    }
    for (const id of ['throughput-products', 'p99-products', 'throughput-orders', 'p99-orders', 'peer-products', 'peer-orders', 'chain-products', 'tail-products']) assert.ok(results.goals.some((goal) => goal.id === id), `no goal ${id}`);
    const programs = results.sizing.rows.map((row) => row.program);
    assert.deepEqual(programs.sort(), [...SERVICES, 'otel-collector', 'jaeger', 'prometheus'].sort());
    for (const row of results.sizing.rows) {
      assert.ok(row.memoryRequestMiB > 0 && row.memoryRequestMiB <= row.memoryLimitMiB, `${row.program}: memory request above limit`);
      assert.ok(row.cpuRequestMillicores >= 50);
    }
  });

  test('writes the report: performance.md with every section, and its charts', () => {
    const page = readFileSync(join(dir, 'docs', 'performance.md'), 'utf8');
    for (const heading of ['## Machine', '## Goals', '## Instrumentation overhead', '### What the instrumentations cost by themselves', '## Start-up', '## Memory', '## The Collector unavailable', '## The Collector', '## Sizing']) {
      assert.ok(page.includes(heading), `performance.md has no "${heading}"`);
    }
    assert.ok(!/NaN|undefined/.test(page), 'performance.md shows NaN or undefined');
    assert.ok(!page.includes('Not measured in this run'), 'the breakdown section says it was not measured');
    for (const chart of ['performance-products.svg', 'performance-orders.svg', 'performance-overhead.svg', 'performance-startup.svg', 'performance-memory.svg']) {
      const path = join(dir, 'docs', chart);
      assert.ok(existsSync(path), `no ${chart}`);
      const svg = readFileSync(path, 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.ok(!/NaN/.test(svg), `${chart} has NaN coordinates`);
      assert.ok(page.includes(`](${chart})`), `performance.md does not show ${chart}`);
    }
  });
});
