// Runs one k6 scenario from loadtest/ with the k6 of the tool cache (tools/toolchain.sh ensure k6).
//
//   npm run loadtest -- <scenario> [--shape NAME] [--base-url URL] [--worker-urls LIST]
//                       [--summary-dir DIR] [--prometheus-url URL] [--points FILE]
//                       [--env NAME=VALUE]... [-- <more k6 run arguments>]
//   npm run loadtest -- --list
//
// Without --base-url/--worker-urls the scripts use the native stack's ports (docs/architecture.md).
// Exit status: k6's own (0 passed, 99 thresholds crossed, 107 script error, 108 aborted by the script);
// 2 for a usage error.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot, toolPath } from '@qoslab/native-stack';


const SCRIPTS_DIR = path.join(repoRoot, 'loadtest');
const USAGE =
  'usage: npm run loadtest -- <scenario> [--shape NAME] [--base-url URL] [--worker-urls LIST] [--summary-dir DIR] ' +
  '[--prometheus-url URL] [--points FILE] [--env NAME=VALUE]... [-- k6 arguments] | --list';

class UsageError extends Error {}

interface Shape {
  description: string;
}

interface Run {
  scenario: string;
  shape: string;
  testid: string;
  script: string;
  summaryDir: string;
  points?: string;
  prometheusUrl?: string;
  env: Record<string, string>;
  k6Args: string[];
}

function scenarios(): string[] {
  return readdirSync(SCRIPTS_DIR)
    .filter((name) => name.endsWith('.js') && statSync(path.join(SCRIPTS_DIR, name)).isFile())
    .map((name) => name.slice(0, -'.js'.length))
    .sort();
}

async function shapes(): Promise<Record<string, Shape>> {
  // The shapes are defined once, in the k6 library; it only touches k6 globals inside functions.
  const module = (await import(pathToFileURL(path.join(SCRIPTS_DIR, 'lib', 'shapes.js')).href)) as { SHAPES: Record<string, Shape> };
  return module.SHAPES;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

async function parse(argv: string[]): Promise<Run | 'list' | 'help'> {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const k6Args = separator === -1 ? [] : argv.slice(separator + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        shape: { type: 'string', short: 's' },
        'base-url': { type: 'string' },
        'worker-urls': { type: 'string' },
        'summary-dir': { type: 'string' },
        'prometheus-url': { type: 'string' },
        points: { type: 'string' },
        env: { type: 'string', short: 'e', multiple: true },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // Node's message goes on to explain `--`; the first sentence is the one that matters here.
    throw new UsageError(`${(error as Error).message.split('. ')[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.list) return 'list';

  const known = scenarios();
  if (positionals.length !== 1) throw new UsageError(`name one scenario (${known.join(', ')})`);
  const scenario = positionals[0] as string;
  if (!known.includes(scenario)) throw new UsageError(`unknown scenario "${scenario}": use one of ${known.join(', ')}`);

  const shapeNames = Object.keys(await shapes());
  const shape = values.shape ?? process.env.LOAD_SHAPE ?? 'smoke';
  if (!shapeNames.includes(shape)) throw new UsageError(`unknown shape "${shape}": use one of ${shapeNames.join(', ')}`);

  const env: Record<string, string> = {};
  for (const assignment of values.env ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(assignment);
    if (!match) throw new UsageError(`--env "${assignment}" is not NAME=VALUE`);
    env[match[1] as string] = match[2] as string;
  }
  if (values['base-url'] !== undefined) env.BASE_URL = values['base-url'];
  if (values['worker-urls'] !== undefined) env.WORKER_URLS = values['worker-urls'];
  env.LOAD_SHAPE = shape;

  const stamp = timestamp();
  const summaryDir = path.resolve(values['summary-dir'] ?? path.join(SCRIPTS_DIR, 'results', `${scenario}-${shape}-${stamp}`));
  const prometheusUrl = values['prometheus-url'] ?? process.env.PROMETHEUS_URL;
  if (prometheusUrl !== undefined && !/^https?:\/\/\S+$/.test(prometheusUrl)) {
    throw new UsageError(`--prometheus-url "${prometheusUrl}" is not an http(s) URL`);
  }
  const testid = `${scenario}-${shape}-${stamp}`;
  return {
    scenario,
    shape,
    testid,
    script: path.join(SCRIPTS_DIR, `${scenario}.js`),
    summaryDir,
    points: values.points === undefined ? undefined : path.resolve(values.points),
    prometheusUrl,
    env,
    k6Args: ['--tag', `testid=${testid}`, ...k6Args],
  };
}

/** K6_BIN when set (an installed k6), else the tool cache's k6, built on first use. */
function k6Binary(): string {
  const fromEnv = process.env.K6_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`K6_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  try {
    return toolPath('k6');
  } catch {
    throw new Error('tools/toolchain.sh ensure k6 failed (see above)');
  }
}

function prometheusEnv(run: Run): { env: Record<string, string>; out: string[]; target?: string } {
  const env: Record<string, string> = {};
  if (run.prometheusUrl !== undefined) {
    env.K6_PROMETHEUS_RW_SERVER_URL = `${run.prometheusUrl.replace(/\/+$/, '')}/api/v1/write`;
  }
  const target = env.K6_PROMETHEUS_RW_SERVER_URL ?? process.env.K6_PROMETHEUS_RW_SERVER_URL;
  if (target === undefined) return { env, out: [] };
  // Trends as the percentiles the dashboards read; stale markers end the series when the test ends.
  if (process.env.K6_PROMETHEUS_RW_TREND_STATS === undefined) env.K6_PROMETHEUS_RW_TREND_STATS = 'p(95),p(99)';
  if (process.env.K6_PROMETHEUS_RW_STALE_MARKERS === undefined) env.K6_PROMETHEUS_RW_STALE_MARKERS = 'true';
  return { env, out: ['--out', 'experimental-prometheus-rw'], target };
}

function say(message: string): void {
  process.stderr.write(`loadtest: ${message}\n`);
}

async function list(): Promise<void> {
  const all = await shapes();
  process.stdout.write(`scenarios: ${scenarios().join(', ')}\nshapes:\n`);
  for (const [name, shape] of Object.entries(all)) process.stdout.write(`  ${name.padEnd(8)} ${shape.description}\n`);
}

async function main(): Promise<number> {
  let run;
  try {
    run = await parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message);
    return 2;
  }
  if (run === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (run === 'list') {
    await list();
    return 0;
  }

  const k6 = k6Binary();
  mkdirSync(run.summaryDir, { recursive: true });
  if (run.points !== undefined) mkdirSync(path.dirname(run.points), { recursive: true });
  const prometheus = prometheusEnv(run);
  const args = [
    'run',
    '--no-usage-report',
    // Without a terminal, k6's once-a-second progress lines would bury the summary in CI logs.
    ...(process.stdout.isTTY ? [] : ['--quiet']),
    ...prometheus.out,
    ...(run.points === undefined ? [] : ['--out', `json=${run.points}`]),
    ...run.k6Args,
    run.script,
  ];
  const env = { ...process.env, ...run.env, ...prometheus.env, SUMMARY_DIR: run.summaryDir };
  say(`k6 ${run.scenario} with shape ${run.shape}, testid=${run.testid}${prometheus.target ? `, metrics to ${prometheus.target}` : ''}`);

  const child = spawn(k6, args, { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => {
    // A terminal's Ctrl-C already reached k6 (same process group); a second SIGINT would make k6
    // stop without its summary.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward(signal));
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (status, signal) => resolve(status ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });

  const json = path.join(run.summaryDir, 'summary.json');
  if (existsSync(json)) {
    say(`summary: ${path.join(run.summaryDir, 'summary.txt')} (text), ${json} (JSON)`);
  } else {
    say(`no summary written: k6 stopped (exit ${code}) before the end of the test`);
  }
  if (run.points !== undefined) say(`points with trace ids: ${run.points}`);
  if (code === 99) say('thresholds crossed (k6 exit 99)');
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
