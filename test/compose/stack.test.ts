/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The shipped docker-compose.yml on a real Docker engine. No registry is reachable here, so the test
// builds every image locally (scaffolding/images: a debootstrap base with the project's Node, stand-ins for
// PostgreSQL, the Collector, Jaeger, Prometheus and k6) and passes them to the file through its image
// variables; the published ports move to free ones through the QOSLAB_*_PORT variables, so a native
// stack on this machine does not collide. Nothing else differs from `docker compose up`. Grafana has
// no stand-in (compose-file.test.ts checks its provisioning); every other service runs.
//
// Then the same trace and metric facts as the native end-to-end test, through the published ports,
// plus the containers' vital signs; then the `qos` profile under its own k6 load, asserted from the
// workers' cgroups. The numbers (stack memory, time to the first trace, the QoS lab's CPU shares,
// throttling and latency) are reported as diagnostics; their relations are asserted, and the stack's
// memory and the time to the first trace against the README's bounds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, screenshotPath } from '../lib/browser';
import { orderTraceProblems } from '../lib/jaeger';
import { dashboardFiles, evaluable, metricNames, shippedExpressions } from '../lib/promql';
import { getOk, run } from '../pipeline/support';
import { waitFor } from '@qoslab/http-kit/testing';
import { freePort } from '@qoslab/native-stack';
import { findTraces, getTrace, type PromSeries, promQuery as queryPrometheus } from '@qoslab/observability-client';
import {
  bytes,
  compose,
  composeAsync,
  composeEnv,
  composeOk,
  containerCgroup,
  containerOf,
  docker,
  inspect,
  kubeletWorkers,
  ok,
  QOS_VARIANTS,
  repoRoot,
  resolvedConfig,
  type Obj,
  type QosVariant,
} from './support';

const PROJECT = 'qoslab-compose-test';
const SHOP = ['gateway', 'catalog', 'orders', 'payments'];
const engine = join(repoRoot, 'scaffolding', 'images', 'engine.sh');
const services = resolvedConfig().services as Record<string, Obj>;
// Every service of the default profile but Grafana.
const STARTED = Object.keys(services).filter((name) => !services[name]!.profiles && name !== 'grafana');
const WORKERS = QOS_VARIANTS.map((variant) => `worker-${variant}`);

const port: Record<string, number> = {};
let env: NodeJS.ProcessEnv;
let startedEngine = false;
let firstTraceSeconds: number | undefined;
const STACK_MEMORY_BOUND_BYTES = 2 ** 30;
const FIRST_TRACE_BOUND_SECONDS = 60;
const url = (name: string, path: string) => `http://127.0.0.1:${port[name]}${path}`;

/** Waits until the query returns at least `count` series. */
const promQuery = (query: string) => queryPrometheus(url('PROMETHEUS', ''), query);

function promSeries(query: string, count = 1): Promise<PromSeries[]> {
  return waitFor(`Prometheus: ${query}`, async () => {
    const result = await promQuery(query);
    return result.length >= count ? result : undefined;
  }, { timeoutMs: 90_000, intervalMs: 2_000 });
}

function healthOf(container: string): string {
  const state = inspect(container).State as Obj;
  return (state.Health?.Status as string | undefined) ?? (state.Status as string);
}

async function waitHealthy(names: string[], timeoutMs = 180_000): Promise<void> {
  await waitFor(`healthy: ${names.join(', ')}`, async () => {
    const states = names.map((name) => [name, healthOf(containerOf(PROJECT, name))]);
    return states.every(([, state]) => state === 'healthy') ? true : undefined;
  }, { timeoutMs, intervalMs: 2_000 }).catch((error: Error) => {
    const states = names.map((name) => `${name}=${healthOf(containerOf(PROJECT, name))}`).join(' ');
    throw new Error(`${error.message}\n${states}\n${compose(PROJECT, ['logs', '--tail', '30'], env).stdout.slice(-8000)}`);
  });
}

/** `docker stats` memory in bytes per container name. */
function memoryUsage(): Record<string, number> {
  const out: Record<string, number> = {};
  const text = docker(['stats', '--no-stream', '--format', '{{.Name}}\t{{.MemUsage}}']);
  for (const line of text.trim().split('\n')) {
    const [name = '', usage = ''] = line.split('\t');
    if (!name.startsWith(`${PROJECT}`)) continue;
    out[name] = bytes(usage.split('/')[0]!.replace(/([KMG])iB/, '$1').replace(/B$/, '').trim());
  }
  return out;
}

before(async () => {
  if (run('bash', [engine, 'status']).status !== 0) {
    ok('bash', [engine, 'start'], { timeoutMs: 600_000 });
    startedEngine = true;
  }
  const images: Record<string, string> = {};
  for (const line of ok('bash', [join(repoRoot, 'scaffolding', 'images', 'standins.sh')], { timeoutMs: 3_600_000 }).trim().split('\n')) {
    const [name, value] = line.split('=');
    if (name && value) images[name] = value;
  }
  for (const name of ['GATEWAY', 'CONSOLE', 'JAEGER', 'PROMETHEUS', 'GRAFANA', 'OTLP_GRPC', 'OTLP_HTTP', 'WORKER_GUARANTEED', 'WORKER_BURSTABLE', 'WORKER_BESTEFFORT']) {
    port[name] = await freePort();
  }
  env = composeEnv({ ...images, ...Object.fromEntries(Object.entries(port).map(([name, value]) => [`QOSLAB_${name}_PORT`, String(value)])) });
  // Leftovers of an interrupted run would keep their volumes (and passwords).
  compose(PROJECT, ['--profile', 'qos', '--profile', 'loadtest', 'down', '-v', '--remove-orphans'], env);
  composeOk(PROJECT, ['--profile', 'qos', 'build'], env, 3_600_000);

  const started = Date.now();
  const up = composeAsync(PROJECT, ['up', '-d', ...STARTED], env);
  // The traffic generator's first request (k6 setup) is a trace of its own.
  const firstTrace = waitFor('a first trace in Jaeger', async () => {
    return (await findTraces(url('JAEGER', ''), { service: 'gateway', limit: 1 })).length > 0 ? Date.now() : undefined;
  }, { timeoutMs: 300_000, intervalMs: 500 });
  await up.catch((error: Error) => {
    firstTrace.catch(() => undefined);
    throw new Error(`${error.message}\n${compose(PROJECT, ['logs', '--tail', '30'], env).stdout.slice(-8000)}`);
  });
  firstTraceSeconds = ((await firstTrace) - started) / 1000;
  await waitHealthy(STARTED.filter((name) => services[name]!.restart !== 'no'));
});

after(() => {
  const down = compose(PROJECT, ['--profile', 'qos', '--profile', 'loadtest', 'down', '-v', '--remove-orphans'], env, 300_000);
  if (startedEngine) run('bash', [engine, 'stop'], { timeoutMs: 120_000 });
  assert.equal(down.status, 0, down.stderr);
});

describe('the default profile', () => {
  test('every container runs with the limits, user and filesystem the file declares', () => {
    for (const name of STARTED) {
      const container = inspect(containerOf(PROJECT, name));
      const host = container.HostConfig as Obj;
      assert.equal(host.Memory, bytes(services[name]!.mem_limit), `${name}: memory limit`);
      assert.equal(host.ReadonlyRootfs, true, `${name}: root filesystem`);
      assert.deepEqual(host.CapDrop, ['ALL'], name);
      assert.equal(container.Config.User, services[name]!.user, `${name}: user`);
      for (const bindings of Object.values((host.PortBindings ?? {}) as Record<string, { HostIp: string }[]>)) {
        for (const binding of bindings) assert.equal(binding.HostIp, '127.0.0.1', `${name} publishes beyond loopback`);
      }
    }
  });

  test('the generated passwords work and appear in no container configuration', () => {
    for (const name of STARTED) {
      for (const assignment of (inspect(containerOf(PROJECT, name)).Config.Env ?? []) as string[]) {
        assert.doesNotMatch(assignment, /^[A-Z_]*PASSWORD=/, `${name}: ${assignment.split('=')[0]}`);
      }
    }
    // orders is healthy only with a database connection: the DATABASE_PASSWORD_FILE password matched the one
    // PostgreSQL was initialised with.
    assert.equal(healthOf(containerOf(PROJECT, 'orders')), 'healthy');
  });

  test("an order's trace spans gateway, orders, catalog, payments and PostgreSQL, with the card masked", async (t) => {
    const traceId = randomBytes(16).toString('hex');
    const card = '4242424242424242';
    const response = await fetch(url('GATEWAY', '/api/orders'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({
        customer: { email: 'ada@example.com' },
        items: [{ productId: 'p-001', quantity: 1 }],
        payment: { card: { number: card, expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' } },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 201, await response.text());

    // The same shape as in the native end-to-end test: one trace, the right parents, PostgreSQL under orders.
    const trace = await waitFor('the whole order trace in Jaeger', async () => {
      const found = await getTrace(url('JAEGER', ''), traceId);
      return found && orderTraceProblems(found).length === 0 ? found : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000 }).catch(async (error: Error) => {
      const found = await getTrace(url('JAEGER', ''), traceId);
      throw new Error(`${error.message}: ${found ? orderTraceProblems(found).join('; ') : 'no trace'}`);
    });
    assert.ok(!JSON.stringify(trace).includes(card), 'the card number reached Jaeger');
    t.diagnostic(`trace ${traceId}: ${trace.spans.length} spans`);
    // The lab console reads the same trace through compose's network.
    const waterfall = JSON.parse((await getOk(url('CONSOLE', `/api/traces/${traceId}`)))!) as { services: string[]; spans: unknown[] };
    assert.deepEqual([...waterfall.services].sort(), ['catalog', 'gateway', 'orders', 'payments']);
    assert.equal(waterfall.spans.length, trace.spans.length);
  });

  test('Prometheus: request durations, span metrics and service-graph edges of every service', async () => {
    for (const job of SHOP) {
      await promSeries(`http_server_request_duration_seconds_count{job="${job}"}`);
      await promSeries(`traces_span_metrics_calls_total{service_name="${job}", span_kind="SPAN_KIND_SERVER"}`);
    }
    const edges = await waitFor('the service graph', async () => {
      const result = await promQuery('sum by (client, server, connection_type) (traces_service_graph_request_total)');
      const pairs = new Set(result.map((e) => `${e.metric.client}->${e.metric.server}${e.metric.connection_type ? `:${e.metric.connection_type}` : ''}`));
      const expected = ['gateway->catalog', 'gateway->orders', 'orders->catalog', 'orders->payments', 'orders->shop:database'];
      return expected.every((edge) => pairs.has(edge)) ? pairs : undefined;
    }, { timeoutMs: 90_000, intervalMs: 2_000 });
    assert.ok(edges.size >= 5);
  });

  test("Prometheus: the shop's own metrics", async () => {
    await promSeries('shop_orders_total{job="orders"}');
    await promSeries('shop_catalog_cache_lookups_total{job="catalog"}');
    await promSeries('shop_catalog_stock_available{job="catalog"}');
    await promSeries('shop_payment_duration_seconds_count{job="payments"}');
  });

  test("Prometheus: each service's container vital signs, with the limit the file sets", async () => {
    for (const job of SHOP) {
      await promSeries(`shop_container_memory_usage_bytes{job="${job}"}`);
      await promSeries(`shop_container_cpu_usage_seconds_total{job="${job}"}`);
      const limit = await promSeries(`shop_container_memory_limit_bytes{job="${job}"}`);
      assert.equal(Number(limit[0]!.value[1]), bytes(services[job]!.mem_limit), `${job}: the limit its cgroup reports`);
    }
  });

  test("Prometheus: the Collector's own metrics (scraped) and k6's (remote write)", async () => {
    await promSeries('otelcol_receiver_accepted_spans{job="otel-collector", receiver="otlp"}');
    await promSeries('up{job="otel-collector"} == 1');
    await promSeries('k6_http_reqs_total{testid="compose-traffic"}');
  });

  test('the running stack stays under 1 GiB, and the first trace is in Jaeger within a minute of `up`', (t) => {
    const usage = memoryUsage();
    const total = Object.values(usage).reduce((a, b) => a + b, 0);
    for (const [name, value] of Object.entries(usage).sort()) t.diagnostic(`${name.replace(`${PROJECT}_`, '').replace(`${PROJECT}-`, '')}: ${(value / 2 ** 20).toFixed(1)} MiB`);
    t.diagnostic(`stack memory (docker stats, ${Object.keys(usage).length} containers, no Grafana): ${(total / 2 ** 20).toFixed(0)} MiB`);
    t.diagnostic(`first trace in Jaeger ${firstTraceSeconds?.toFixed(1)} s after \`up\` (images built)`);
    assert.ok(Object.keys(usage).length >= STARTED.length - 1, 'docker stats lists the running containers');
    // The README's figures: the range measured, and these bounds asserted.
    assert.ok(total < STACK_MEMORY_BOUND_BYTES, `the stack uses ${(total / 2 ** 20).toFixed(0)} MiB, not under ${STACK_MEMORY_BOUND_BYTES / 2 ** 30} GiB`);
    assert.ok(firstTraceSeconds !== undefined && firstTraceSeconds < FIRST_TRACE_BOUND_SECONDS, `first trace ${firstTraceSeconds} s after \`up\`, not within ${FIRST_TRACE_BOUND_SECONDS} s`);
  });
});

describe('the qos profile', () => {
  const kubelet = kubeletWorkers();
  const portOf = (variant: QosVariant) => `WORKER_${variant.toUpperCase()}`;

  async function cpuJob(variant: QosVariant, units: number): Promise<{ cpuMs: number; wallMs: number }> {
    const response = await fetch(url(portOf(variant), '/jobs/cpu'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ units }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as { cpuMs: number; wallMs: number };
  }

  // A negative oom_score_adj needs CAP_SYS_RESOURCE, which rootless engines and some sandboxes lack
  // (the container cannot start). There the file's documented fallback is the only way to run it.
  let guaranteedOomScoreAdj = kubelet.guaranteed.container.oomScoreAdj;
  let qosEnv: NodeJS.ProcessEnv;

  before(async () => {
    const probe = run('docker', ['run', '--rm', `--oom-score-adj=${guaranteedOomScoreAdj}`, '--entrypoint', 'true', 'qoslab/worker'], { timeoutMs: 60_000 });
    qosEnv = env;
    if (probe.status !== 0) {
      guaranteedOomScoreAdj = 0;
      qosEnv = { ...env, QOS_GUARANTEED_OOM_SCORE_ADJ: '0' };
    }
    composeOk(PROJECT, ['--profile', 'qos', 'up', '-d', ...WORKERS], qosEnv, 600_000);
    await waitHealthy(WORKERS);
  });

  test("each worker's cgroup and oom_score_adj are what the kubelet sets for its class", (t) => {
    const scores: number[] = [];
    for (const variant of QOS_VARIANTS) {
      const container = containerOf(PROJECT, `worker-${variant}`);
      const cgroup = containerCgroup(container);
      const settings = cgroup.settings();
      const expected = kubelet[variant].container;
      t.diagnostic(`worker-${variant} (cgroup v${cgroup.version}): ${JSON.stringify(settings)}, oom_score_adj ${cgroup.oomScoreAdj()}`);
      if (cgroup.version === 1) assert.equal(settings.cpuShares, expected.cpuShares, `${variant}: cpu.shares`);
      // cgroup v2: the OCI runtime converts the shares, with the quadratic formula since runc 1.3.2.
      else assert.ok([expected.cpuWeight, expected.cpuWeightLegacy].includes(settings.cpuWeight!), `${variant}: cpu.weight ${settings.cpuWeight}`);
      assert.equal(settings.cpuQuota, expected.cpuQuota, `${variant}: CFS quota`);
      if (expected.cpuQuota !== null) assert.equal(settings.cpuPeriod, expected.cpuPeriod, `${variant}: CFS period`);
      assert.equal(settings.memoryMax, expected.memoryMax ?? bytes(services[`worker-${variant}`]!.mem_limit), `${variant}: memory limit`);
      if (variant === 'guaranteed' && guaranteedOomScoreAdj !== expected.oomScoreAdj) {
        t.diagnostic(`this engine cannot set oom_score_adj ${expected.oomScoreAdj} (no CAP_SYS_RESOURCE): ran with QOS_GUARANTEED_OOM_SCORE_ADJ=${guaranteedOomScoreAdj}`);
      }
      assert.equal(cgroup.oomScoreAdj(), variant === 'guaranteed' ? guaranteedOomScoreAdj : expected.oomScoreAdj, `${variant}: /proc/1/oom_score_adj`);
      assert.equal(inspect(container).HostConfig.CpusetCpus, '0', `${variant}: cpuset`);
      scores.push(cgroup.oomScoreAdj());
    }
    // The kernel's OOM killer (and a memory-starved node) takes BestEffort first, Guaranteed last.
    assert.deepEqual([...scores].sort((a, b) => a - b), scores);
  });

  test('under the same load, Guaranteed is throttled but steady and BestEffort gets the least CPU', async (t) => {
    // One unit is "about a millisecond"; measure it here so each job is ~80 ms of CPU on this machine.
    const samples = [];
    for (let i = 0; i < 3; i++) samples.push(await cpuJob('burstable', 200));
    const msPerUnit = Math.min(...samples.map((s) => s.cpuMs)) / 200;
    const units = Math.max(10, Math.min(5000, Math.round(80 / msPerUnit)));
    t.diagnostic(`${msPerUnit.toFixed(3)} ms of CPU per unit: jobs of ${units} units`);

    const cgroups = Object.fromEntries(QOS_VARIANTS.map((v) => [v, containerCgroup(containerOf(PROJECT, `worker-${v}`))])) as Record<QosVariant, ReturnType<typeof containerCgroup>>;
    const before = Object.fromEntries(QOS_VARIANTS.map((v) => [v, cgroups[v].stats()]));
    const loadEnv = { ...qosEnv, QOS_LOAD_SHAPE: 'smoke', QOS_LOAD_RATE: '5', QOS_LOAD_DURATION: '40s', QOS_CPU_UNITS: String(units) };
    composeOk(PROJECT, ['--profile', 'qos', 'up', '-d', 'qos-load'], loadEnv, 300_000);
    const load = containerOf(PROJECT, 'qos-load');
    const exit = ok('docker', ['wait', load], { timeoutMs: 240_000 }).trim();
    const after = Object.fromEntries(QOS_VARIANTS.map((v) => [v, cgroups[v].stats()]));

    const delta = (v: QosVariant, key: 'cpuUsageSeconds' | 'cpuThrottledPeriods' | 'cpuPeriods') => (after[v]![key] ?? NaN) - (before[v]![key] ?? NaN);
    // k6's percentiles per class (remote write; cumulative over the run, so the last value counts).
    const percentiles = async (metric: string, stat: string, filter: string) => {
      const series = await promSeries(`max by (qos_class) (last_over_time(k6_${metric}_${stat}{testid="compose-qos-lab", phase="cpu"${filter}}[15m]))`, 3);
      return Object.fromEntries(series.map((s) => [s.metric.qos_class!, Number(s.value[1]) * 1000])) as Record<QosVariant, number>;
    };
    // The request as k6 saw it (queueing included), and the job's own time inside the worker.
    const request = { p50: await percentiles('http_req_duration', 'p50', ', status="200"'), p99: await percentiles('http_req_duration', 'p99', ', status="200"') };
    const job = { p50: await percentiles('qos_job_wall', 'p50', ''), p99: await percentiles('qos_job_wall', 'p99', '') };
    for (const v of QOS_VARIANTS) {
      t.diagnostic(
        `worker-${v}: ${delta(v, 'cpuUsageSeconds').toFixed(1)} CPU s, throttled ${delta(v, 'cpuThrottledPeriods')} of ${delta(v, 'cpuPeriods')} periods, ` +
          `request p50 ${request.p50[v].toFixed(0)} ms p99 ${request.p99[v].toFixed(0)} ms, job p50 ${job.p50[v].toFixed(0)} ms p99 ${job.p99[v].toFixed(0)} ms`,
      );
    }
    t.diagnostic(`qos-load (k6) exited ${exit} (99: the lab's thresholds were crossed, as BestEffort is expected to)`);

    assert.ok(delta('guaranteed', 'cpuThrottledPeriods') > 0, 'the Guaranteed worker was never throttled');
    for (const v of ['burstable', 'besteffort'] as const) assert.equal(delta(v, 'cpuThrottledPeriods') || 0, 0, `worker-${v} has no CPU limit but was throttled`);
    assert.ok(delta('besteffort', 'cpuUsageSeconds') < delta('guaranteed', 'cpuUsageSeconds'), 'BestEffort got more CPU than Guaranteed');
    assert.ok(delta('besteffort', 'cpuUsageSeconds') < delta('burstable', 'cpuUsageSeconds'), 'BestEffort got more CPU than Burstable');
    // BestEffort's requests wait longest. (Request-time spreads are not compared: BestEffort's are cut
    // off by k6's timeouts and the end of the run, so they say little.)
    for (const v of ['guaranteed', 'burstable'] as const) assert.ok(request.p50[v] < request.p50.besteffort, `worker-${v}'s median request is not faster than BestEffort's`);
    // Steady: a Guaranteed job waits only for its own quota, a BestEffort job for everyone else.
    const spread = (v: QosVariant) => job.p99[v] - job.p50[v];
    assert.ok(spread('guaranteed') < spread('besteffort'), `Guaranteed's job-time spread ${spread('guaranteed')} ms is not below BestEffort's ${spread('besteffort')} ms`);
  });

  test('alone on its core, a Guaranteed job that needs more than its CPU quota per period is throttled; a Burstable one is not', async (t) => {
    const sample = await cpuJob('burstable', 200);
    const units = Math.max(10, Math.min(5000, Math.round((300 / sample.cpuMs) * 200)));
    const cgroup = containerCgroup(containerOf(PROJECT, 'worker-guaranteed'));
    const before = cgroup.stats().cpuThrottledPeriods ?? NaN;
    const guaranteed = await cpuJob('guaranteed', units);
    const throttled = (cgroup.stats().cpuThrottledPeriods ?? NaN) - before;
    const burstable = await cpuJob('burstable', units);
    const stretch = (job: { cpuMs: number; wallMs: number }) => job.wallMs / job.cpuMs;
    t.diagnostic(
      `${units} units: Guaranteed ${guaranteed.cpuMs.toFixed(0)} ms CPU in ${guaranteed.wallMs.toFixed(0)} ms, throttled in ${throttled} periods; ` +
        `Burstable ${burstable.cpuMs.toFixed(0)} ms CPU in ${burstable.wallMs.toFixed(0)} ms`,
    );
    // The quota (half a core) caps each 100 ms period at 50 ms of CPU, however idle the core is.
    assert.ok(throttled >= 2, `throttled in ${throttled} periods`);
    assert.ok(stretch(guaranteed) >= 1.5, `Guaranteed's job took ${stretch(guaranteed).toFixed(2)}x its CPU time`);
    assert.ok(stretch(burstable) < stretch(guaranteed), `Burstable's job took ${stretch(burstable).toFixed(2)}x its CPU time`);
  });

  test('a worker pushed past its memory limit is OOM-killed and restarted; the others are not', async (t) => {
    const container = containerOf(PROJECT, 'worker-guaranteed');
    const restarts = Object.fromEntries(WORKERS.map((name) => [name, inspect(containerOf(PROJECT, name)).RestartCount as number]));
    const events = spawn('docker', ['events', '--filter', `container=${container}`, '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let eventText = '';
    events.stdout.on('data', (chunk: Buffer) => (eventText += chunk.toString('utf8')));
    try {
      const limitMib = bytes(services['worker-guaranteed']!.mem_limit) / 2 ** 20;
      // Within WORKER_MAX_MEMORY_MIB (twice the limit), so the worker does not refuse it.
      const answer = await fetch(url('WORKER_GUARANTEED', '/jobs/memory'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mib: Math.round(limitMib * 1.5), holdMs: 5000 }),
        signal: AbortSignal.timeout(30_000),
      }).then((r) => `status ${r.status}`, (error: Error) => `no answer (${String(error.cause ?? error.message)})`);
      t.diagnostic(`memory job of ${Math.round(limitMib * 1.5)} MiB on a ${limitMib} MiB worker: ${answer}`);
      await waitFor('worker-guaranteed restarted and healthy', async () => {
        const state = inspect(container);
        return state.RestartCount > restarts['worker-guaranteed']! && state.State.Health?.Status === 'healthy' ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 1_000 });
    } finally {
      events.kill();
    }
    const seen = eventText.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { status?: string; Action?: string; Actor?: { Attributes?: Record<string, string> } });
    const action = (e: (typeof seen)[number]) => e.Action ?? e.status ?? '';
    assert.ok(seen.some((e) => action(e) === 'oom'), `no oom event: ${seen.map(action).join(', ')}`);
    const died = seen.find((e) => action(e) === 'die');
    assert.equal(died?.Actor?.Attributes?.exitCode, '137', 'killed by SIGKILL');
    for (const name of WORKERS.filter((n) => n !== 'worker-guaranteed')) {
      assert.equal(inspect(containerOf(PROJECT, name)).RestartCount, restarts[name], `${name} restarted too`);
    }
    t.diagnostic(`events: ${seen.map(action).join(', ')}; OOMKilled after the restart: ${inspect(container).State.OOMKilled}`);
  });
  test('every PromQL expression of the shipped dashboards and rules returns data, the vital signs included', async (t) => {
    // Pressure stall information exists per cgroup only on cgroup v2 kernels with PSI enabled.
    const psi = docker(['exec', containerOf(PROJECT, 'worker-burstable'), 'sh', '-c', 'test -e /sys/fs/cgroup/cpu.pressure && echo yes || echo no']).trim() === 'yes';
    // The k8s_ series come from the Collector's Kubernetes receivers (kubeletstats, k8s_cluster): the cluster test checks those.
    const expressions = shippedExpressions().filter(
      (expression) => (psi || !expression.expr.includes('shop_container_pressure')) && !metricNames(expression.expr).some((name) => name.startsWith('k8s_')),
    );
    if (!psi) t.diagnostic('no pressure stall information in these containers (cgroup v1 or PSI off): its panels are not checked');
    const empty = await waitFor('data for every shipped expression', async () => {
      // Error panels and rules need errors: an injected catalog failure (500 there, 502 at the gateway).
      await fetch(url('GATEWAY', '/api/products'), { headers: { 'x-fault-inject': 'catalog:status=500' }, signal: AbortSignal.timeout(10_000) });
      // The held-memory gauge has a value once a worker (restarted by the OOM test, or never asked) ran a memory job.
      for (const name of ['WORKER_GUARANTEED', 'WORKER_BURSTABLE', 'WORKER_BESTEFFORT']) {
        await fetch(url(name, '/jobs/memory'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mib":1,"holdMs":10}', signal: AbortSignal.timeout(10_000) });
      }
      const missing: string[] = [];
      for (const expression of expressions) {
        if ((await promQuery(evaluable(expression))).length === 0) missing.push(`${expression.where}: ${expression.expr}`);
      }
      return missing.length === 0 ? missing : undefined;
    }, { timeoutMs: 150_000, intervalMs: 2_000 }).catch(async () => {
      const missing: string[] = [];
      for (const expression of expressions) if ((await promQuery(evaluable(expression))).length === 0) missing.push(`${expression.where}: ${expression.expr}`);
      return missing;
    });
    assert.deepEqual(empty, []);
    t.diagnostic(`${expressions.length} expressions return data`);

    // The lab console draws the worker panels from compose's Prometheus: every one has data.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 900 });
      await page.goto(url('CONSOLE', '/?dashboard=qoslab-worker-vitals'));
      await page.waitForFunction(
        () => document.getElementById('panels')?.dataset.dashboard === 'qoslab-worker-vitals' && ![...document.querySelectorAll<HTMLElement>('.panel')].some((panel) => panel.dataset.state === 'loading'),
        { timeout: 30_000 },
      );
      const states = new Map(await page.$$eval('.panel', (all) => all.map((panel) => [Number((panel as HTMLElement).dataset.panel), (panel as HTMLElement).dataset.state ?? ''] as const)));
      // Kubernetes-only panels (the k8s_cluster receiver's restarts, evictions, node conditions) stay empty here.
      const { dashboard } = dashboardFiles<{ panels: { id: number; type: string; title: string; targets?: { expr?: string }[] }[] }>().find((one) => one.name === 'worker-vitals.json')!;
      const wrong: string[] = [];
      for (const panel of dashboard.panels.filter((one) => one.type === 'timeseries')) {
        const exprs = (panel.targets ?? []).map((target) => target.expr ?? '');
        const here = !exprs.some((expr) => metricNames(expr).some((name) => name.startsWith('k8s_'))) && (psi || !exprs.some((expr) => expr.includes('shop_container_pressure')));
        if (states.get(panel.id) !== (here ? 'data' : 'empty')) wrong.push(`${panel.title}: ${states.get(panel.id)}`);
      }
      assert.deepEqual(wrong, [], 'worker panels drawn by the console');
      await page.screenshot({ path: screenshotPath('console-worker-vitals'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('the loadtest profile', () => {
  test("faults.js passes against the compose stack: the services honour fault injection and map each fault", (t) => {
    const result = compose(PROJECT, ['--profile', 'loadtest', 'run', '--rm', '-T', 'loadtest-faults'], env, 300_000);
    t.diagnostic(result.stdout.split('\n').filter((line) => /faults ·|FAIL|traffic:/.test(line)).join('\n'));
    assert.equal(result.status, 0, `k6 exited ${result.status}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`);
  });
});
