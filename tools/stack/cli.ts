// npm run stack: the shop and its observability stack as local processes, no container engine needed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../lib/toolchain';
import { type Stack, startStack, URLS } from './stack';

function fail(message: string): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const traffic = !process.argv.includes('--no-traffic');
  const unknown = process.argv.slice(2).filter((arg) => arg !== '--no-traffic');
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; the only option is --no-traffic`);

  process.stderr.write('stack: building the services (turbo run build)…\n');
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed; see above');

  process.stderr.write('stack: starting (the first run builds the Collector, Jaeger and k6 from source: minutes)…\n');
  let stack: Stack;
  try {
    stack = await startStack({
      traffic,
      onReady: (name, ms) => process.stderr.write(`stack: ${name.padEnd(15)} ready after ${(ms / 1000).toFixed(1)} s\n`),
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  const logs = join(repoRoot, '.run', 'stack', 'logs');
  process.stdout.write(`
The shop and its telemetry are running (Ctrl-C stops everything):

  Shop                ${URLS.shop}
  Lab console         ${URLS.console}   each order's trace as a waterfall, and the dashboards (no Grafana needed)
  Jaeger (traces)     ${URLS.jaeger}   API: ${URLS.jaegerApi}/services  (built from source: the UI is a placeholder, the API is complete)
  Prometheus          ${URLS.prometheus}   try: sum by (job) (rate(http_server_request_duration_seconds_count[1m]))
  Collector health    ${URLS.collectorHealth}   own metrics: ${URLS.collectorMetrics}
  QoS lab worker      ${URLS.worker}/jobs/cpu   (POST {"units": 50})
  PostgreSQL          ${URLS.postgres}
  Logs                ${logs}/<program>.log
${traffic ? '\n  k6 sends one shop journey per second, so traces appear without any action.\n' : ''}`);

  for (const managed of stack.processes.values()) {
    void managed.waitExit().then((code) => {
      if (!stopping) process.stderr.write(`stack: ${managed.name} exited (${code}); its log: ${managed.logFile()}\n`);
    });
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstack: stopping…\n');
    await stack.stop();
    process.stderr.write('stack: stopped\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();
