// The performance benchmark: instrumentation overhead and where it comes from, start-up, memory and the Collector's capacity,
// measured in one run on loopback, written as JSON and as docs/performance.md.
//
//   node --import tsx bench/run.ts            full run: bench/results/latest.json, docs/performance.md
//   node --import tsx bench/run.ts --quick    the same harness in a few minutes (CI): .run/bench/
//   options: --out FILE (results JSON), --docs-dir DIR (where performance.md and its charts go)
//
// Exit status: 0 done, 1 a measurement failed, 2 a usage or setup error.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts, ManagedProcess, repoRoot, toolPath } from '@qoslab/native-stack';
import { evaluateGoals, sizing } from './lib/analysis';
import { stopAll, track } from './lib/cleanup';
import type { Context } from './lib/context';
import { describeMachine } from './lib/machine';
import type { Results } from './lib/results';
import { FULL, QUICK } from './lib/settings';
import { ensureAutoInstrumentations, ensureBuilt, ensureWrk, SetupError } from './lib/setup';
import { backendSpec } from './lib/shop';
import { runBreakdown } from './phases/breakdown';
import { runCollector } from './phases/collector';
import { runOutage } from './phases/outage';
import { runOverhead } from './phases/overhead';
import { runProfile } from './phases/profile';
import { runStartup } from './phases/startup';
import { writeReport } from './report';

const USAGE = 'usage: node --import tsx bench/run.ts [--quick] [--out FILE] [--docs-dir DIR]';

const launched = performance.now();
const log = (line: string) => {
  const seconds = Math.round((performance.now() - launched) / 1000);
  process.stderr.write(`bench ${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')} ${line}\n`);
};

function parse() {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        'docs-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    return values;
  } catch (error) {
    throw new SetupError(`${error instanceof Error ? error.message : String(error)}; ${USAGE}`);
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const settings = args.quick ? QUICK : FULL;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const out = resolve(args.out ?? (args.quick ? join(repoRoot, '.run', 'bench', 'quick.json') : join(repoRoot, 'bench', 'results', 'latest.json')));
  const docsDir = resolve(args['docs-dir'] ?? (args.quick ? join(repoRoot, '.run', 'bench', 'docs') : join(repoRoot, 'docs')));
  const runDir = args.quick ? join(repoRoot, '.run', 'bench', 'raw') : join(repoRoot, 'bench', 'results', 'raw', stamp);
  rmSync(runDir, { recursive: true, force: true });
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  log(`${settings.mode} run; logs in ${logDir}`);
  ensureBuilt(log);
  const wrk = ensureWrk(log);
  ensureAutoInstrumentations();
  const ports = await freePorts();
  log('the Collector, Jaeger and Prometheus (built from source the first time: minutes)…');
  for (const tool of ['otelcol', 'jaeger', 'prometheus'] as const) toolPath(tool);
  const machine = describeMachine(wrk);
  const startedAt = new Date();

  const backends: Context['backends'] = new Map();
  // The Collector may be replaced by its phase: stop whichever instance is current.
  const untrack = track(async () => {
    for (const managed of [...backends.values()].reverse()) await managed.stop();
  });
  for (const name of ['prometheus', 'jaeger', 'otel-collector'] as const) {
    const managed = new ManagedProcess(backendSpec(name, { runDir, metricExportIntervalMs: settings.metricExportIntervalMs, ports }), logDir);
    managed.start();
    backends.set(name, managed);
  }
  await Promise.all([...backends.values()].map((managed) => managed.waitReady(90_000)));
  const context: Context = { settings, wrk, runDir, logDir, log, ports, backends };

  const startup = await runStartup(context);
  const overhead = await runOverhead(context);
  const profile = await runProfile(context);
  const breakdown = await runBreakdown(context);
  const outage = await runOutage(context);
  const collector = await runCollector(context);

  for (const managed of [...backends.values()].reverse()) await managed.stop();
  untrack();
  machine.loadAverage.after = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  const finishedAt = new Date();
  const results: Results = {
    schema: 1,
    mode: settings.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine,
    settings,
    overhead,
    startup,
    profile,
    breakdown,
    outage,
    collector,
    goals: evaluateGoals({ overhead, startup, outage, settings }),
    sizing: sizing({ overhead, collector, settings }),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${out}`);
  const written = writeReport(results, docsDir, out);
  log(`report: ${written.join(', ')}`);
  for (const goal of results.goals) log(`${goal.met ? 'met   ' : 'MISSED'} ${goal.description}: ${goal.measured} (goal ${goal.target})`);
  log(`done in ${Math.round(results.durationSeconds / 60)} min`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping everything the benchmark started…`);
    void stopAll().then(() => process.exit(130));
  });
}

main().catch(async (error: unknown) => {
  if (interrupted) return;
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exit(error instanceof SetupError ? 2 : 1);
});
