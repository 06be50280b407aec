// npm run stack: the shop and its observability stack as local processes, no container engine needed.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './toolchain';
import { SERVICES, type Stack, startStack, URLS } from './stack';

const TOOLCHAIN = join(repoRoot, 'tools', 'toolchain.sh');
// In the order toolchain.sh's `ensure all` builds them.
const GO_TOOLS = ['otelcol', 'k6', 'prometheus', 'jaeger'] as const;
const NODE_PROGRAMS = ['postgres', ...SERVICES, 'console'];

function fail(message: string): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(1);
}

/** `toolchain.sh ensure all`, without blocking the event loop (the started programs' logs flow through it). */
function buildTools(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [TOOLCHAIN, 'ensure', 'all'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the tools failed (exit ${code}); see above`))));
  });
}

/** The shop started first and the backends started after their build, stopped as one stack. */
function joined(shop: Stack, rest: Stack): Stack {
  const processes = new Map([...shop.processes, ...rest.processes]);
  return {
    ports: shop.ports,
    processes,
    process: (name) => shop.processes.get(name) ?? rest.process(name),
    stop: async () => {
      // As Stack.stop does: the traffic, the services (their last telemetry still reaches the Collector), the backends.
      await rest.processes.get('traffic')?.stop();
      await shop.stop();
      await rest.stop();
    },
  };
}

async function main(): Promise<void> {
  const traffic = !process.argv.includes('--no-traffic');
  const unknown = process.argv.slice(2).filter((arg) => arg !== '--no-traffic');
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; the only option is --no-traffic`);

  process.stderr.write('stack: building the services (turbo run build)…\n');
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed; see above');

  const onReady = (name: string, ms: number) => process.stderr.write(`stack: ${name.padEnd(15)} ready after ${(ms / 1000).toFixed(1)} s\n`);
  let stack: Stack;
  try {
    const missing = GO_TOOLS.filter((tool) => spawnSync('bash', [TOOLCHAIN, 'path', tool], { stdio: 'ignore' }).status !== 0);
    if (missing.length === 0) {
      process.stderr.write('stack: starting…\n');
      stack = await startStack({ traffic, onReady });
    } else {
      // The services tolerate a missing Collector, so the shop need not wait for the Go builds.
      process.stderr.write(`stack: ${missing.join(', ')} not built yet: the shop starts first, then they build from source (once)\n`);
      const shop = await startStack({ traffic: false, only: NODE_PROGRAMS, onReady });
      process.stderr.write(`\nstack: the shop is up at ${URLS.shop} and the lab console at ${URLS.console};\n` +
        'stack: traces and metrics reach them once the Collector, Jaeger and Prometheus below are built and running.\n\n');
      let rest: Stack;
      try {
        await buildTools();
        rest = await startStack({ traffic, only: ['prometheus', 'jaeger', 'otel-collector', 'traffic'], onReady });
      } catch (error) {
        await shop.stop();
        throw error;
      }
      stack = joined(shop, rest);
    }
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
