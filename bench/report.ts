// Writes docs/performance.md and its charts from a results file of bench/run.ts. Every figure in the page
// comes from that file; run again after each full benchmark run (bench/run.ts does it itself).
//
//   node --import tsx bench/report.ts [RESULTS_JSON] [--docs-dir DIR]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, SERVICES } from '@qoslab/native-stack';
import { cpuRiseUnderLimit, DESIGN_RATE, evaluateGoals, GOALS, MAX_CPU_RISE_UNDER_LIMIT, sizing } from './lib/analysis';
import { ENDPOINTS, type Endpoint, type Results } from './lib/results';
import { CONTAINED_CONFIGS, type ContainedConfig, isContained } from './lib/shop';
import type { Spread } from './lib/stats';
import { type BarGroup, barChart } from './lib/svg';

const COLORS: Record<string, string> = {
  curated: '#3b6fb6',
  off: '#9aa5b1',
  all: '#c0504d',
  'no-runtime-node': '#6aa84f',
  'no-pino': '#e69138',
  sampled: '#8e7cc3',
  contained: '#45818e',
  'contained-large': '#a2c4c9',
  'curated-cached': '#76a5af',
  'off-cached': '#cccccc',
  chain: '#444444',
};

/** The bars of each route's chart: the limit, then each set-up from none to the kit's sampled one. */
const ROUTE_CHART = ['chain', 'off', 'all', 'curated', 'sampled'];

const DESCRIPTIONS: Record<string, string> = {
  curated: 'telemetry on: the kit’s preload with its curated instrumentations, 100% sampling',
  off: 'OTEL_SDK_DISABLED=true: the preload loads nothing',
  all: 'the upstream peer: every default auto-instrumentation, `--require @opentelemetry/auto-instrumentations-node/register` (what the OpenTelemetry demo’s Node service does)',
  'no-runtime-node': 'the curated set without instrumentation-runtime-node',
  'no-pino': 'the curated set without instrumentation-pino',
  sampled: 'the curated set, 10% of traces kept (`parentbased_traceidratio`, ratio 0.1)',
  'curated-cached': '`curated` with Node’s on-disk compile cache (`NODE_COMPILE_CACHE`), written by an earlier, unmeasured start',
  'off-cached': '`off` with the same compile cache',
  contained: '`curated`, each service in its own memory cgroup (a container’s memory limit) with the images’ `--max-old-space-size-percentage=70`',
  'contained-large': 'the same with a larger memory limit',
  chain: 'the limit: two minimal Express apps (bench/chain/hop.mjs), the first fetching the product list from the second with the same HTTP client, on the services’ core; GET only',
};

/** Instrumentations the trace tests (test/telemetry/trace.test.ts) depend on, and what for. */
const REQUIRED_BY_TESTS = [
  ['instrumentation-http', 'server spans, and the trace through all services'],
  ['instrumentation-express', '`http.route` on server spans'],
  ['instrumentation-undici', 'client spans of service-to-service calls (fetch)'],
  ['instrumentation-pg', 'PostgreSQL spans under orders'],
  ['instrumentation-pino', '`trace_id`/`span_id` in log lines'],
];

const f1 = (value: number) => value.toFixed(1);
const f2 = (value: number) => value.toFixed(2);
const pct = (fraction: number) => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;

/** "median (min–max)" */
function show(spread: Spread, format: (value: number) => string = f1): string {
  return spread.n > 1 ? `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})` : format(spread.median);
}

function showRatio(spread: Spread): string {
  return `${pct(spread.median - 1)} (${pct(spread.min - 1)} to ${pct(spread.max - 1)})`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** Two figures differ beyond noise: at least three repetitions each, and their ranges do not overlap. */
function distinct(a: Spread, b: Spread): boolean {
  return a.n >= 3 && b.n >= 3 && (a.min > b.max || b.min > a.max);
}

function charts(results: Results): Record<string, string> {
  const { overhead, startup } = results;
  const compared = Object.keys(overhead.endpoints.products.ratiosToBaseline);
  const overheadGroups: BarGroup[] = [];
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    for (const [metric, label] of [
      ['throughput', 'throughput'],
      ['p99', 'p99 latency'],
    ] as const) {
      overheadGroups.push({
        label: `${ENDPOINTS[endpoint]} ${label}`,
        bars: compared.map((config) => {
          const ratio = overhead.endpoints[endpoint].ratiosToBaseline[config]?.[metric] as Spread;
          return { label: config, median: ratio.median, min: ratio.min, max: ratio.max, color: COLORS[config] ?? '#666' };
        }),
      });
    }
  }
  const startupGroups: BarGroup[] = SERVICES.map((service) => ({
    label: service,
    bars: Object.entries(startup.byService[service] ?? {}).map(([config, spread]) => ({
      label: config,
      median: spread.median,
      min: spread.min,
      max: spread.max,
      color: COLORS[config] ?? '#666',
    })),
  }));
  const memoryGroups: BarGroup[] = SERVICES.map((service) => ({
    label: service,
    bars: [overhead.telemetry, overhead.baseline, ...CONTAINED_CONFIGS].filter((config) => overhead.memory[config]).map((config) => {
      const rss = overhead.memory[config]?.[service]?.loadRssMiB as Spread;
      const label = isContained(config) ? `${overhead.telemetry} in ${results.settings.overhead.containedLimitsMiB[config]} MiB` : config;
      return { label, median: rss.median, min: rss.min, max: rss.max, color: COLORS[config] ?? '#666' };
    }),
  }));
  const routeChart = (endpoint: Endpoint) => {
    const figures: Record<string, Spread> = {
      ...Object.fromEntries(Object.entries(overhead.endpoints[endpoint].byConfig).map(([config, one]) => [config, one.throughput])),
      ...(endpoint === 'products' ? { chain: overhead.chain.products.throughput } : {}),
    };
    return barChart({
      title: `${ENDPOINTS[endpoint]}: throughput at ${results.settings.overhead.connections} connections`,
      unit: 'req/s',
      groups: [
        {
          label: ENDPOINTS[endpoint],
          bars: ROUTE_CHART.filter((config) => figures[config]).map((config) => {
            const spread = figures[config] as Spread;
            return { label: config, median: spread.median, min: spread.min, max: spread.max, color: COLORS[config] ?? '#666' };
          }),
        },
      ],
      lines:
        endpoint === 'products'
          ? [{ value: overhead.chain.products.throughput.median * GOALS.againstChain, label: `off goal (≥ ${GOALS.againstChain * 100}% of the chain)`, color: '#c0504d' }]
          : [],
    });
  };
  return {
    'performance-products.svg': routeChart('products'),
    'performance-orders.svg': routeChart('orders'),
    'performance-overhead.svg': barChart({
      title: `Each configuration over ${overhead.baseline} in the same repetition; bars start at 1 (no cost)`,
      unit: 'ratio',
      groups: overheadGroups,
      from: 1,
      lines: [
        { value: 1 - GOALS.throughputCost.products, label: `GET throughput goal (≥ ${1 - GOALS.throughputCost.products})`, color: '#c0504d' },
        { value: 1 + GOALS.p99Added.products, label: `GET p99 goal (≤ ${1 + GOALS.p99Added.products})`, color: '#e69138' },
      ],
    }),
    'performance-startup.svg': barChart({ title: 'Start-up: spawn to /readyz 200', unit: 'ms', groups: startupGroups }),
    'performance-memory.svg': barChart({
      title: 'Largest RSS under load',
      unit: 'MiB',
      groups: memoryGroups,
      lines: [{ value: GOALS.loadRssMiB, label: `goal (< ${GOALS.loadRssMiB} MiB)`, color: '#c0504d' }],
    }),
  };
}

function markdown(results: Results, resultsPath: string): string {
  const { machine, settings, overhead, startup, collector, goals } = results;
  const o = settings.overhead;
  const on = overhead.telemetry;
  const off = overhead.baseline;
  const limited = CONTAINED_CONFIGS.filter((config) => overhead.memory[config]);
  const limitOf = (config: ContainedConfig) => o.containedLimitsMiB[config];
  const lines: string[] = [];
  const push = (...text: string[]) => lines.push(...text);

  push(
    '# Performance',
    '',
    `<!-- Generated by bench/report.ts from ${resultsPath}; edit those, not this page. -->`,
    '',
    'What OpenTelemetry costs the shop, measured side by side on one machine in one run, and the requests and',
    'limits that follow from it. Every figure below comes from `' + resultsPath + '`, written by the benchmark:',
    '',
    '```sh',
    'npm run bench             # the full run: rewrites bench/results/latest.json, this page and its charts',
    'npm run bench -- --quick  # the same harness in a few minutes, to check it works (CI runs it); figures meaningless',
    '```',
    '',
    `The ${results.mode} run behind this page took ${Math.max(1, Math.round(results.durationSeconds / 60))} minutes. Run it on an otherwise idle machine: every`,
    'program shares the same cores, so other work on the machine shows in every figure (the load average below',
    'tells).',
    '',
    'Figures are **median (min–max)** over the repetitions; ratios are taken repetition by repetition (the two',
    'configurations of a pair run back to back), then summarised the same way.',
    results.mode === 'quick' ? '\n> **This page comes from a quick run: its figures show that the harness works, nothing else.**\n' : '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpuModel}, ${machine.cores} cores`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['kernel', machine.kernel],
        ['OS', machine.os],
        ['Node.js', machine.node],
        ['wrk', machine.tools.wrk],
        ['Collector', machine.tools.otelcol],
        ['Jaeger', machine.tools.jaeger],
        ['Prometheus', machine.tools.prometheus],
        ['load average (1 min) before / after', `${machine.loadAverage.before} / ${machine.loadAverage.after ?? '?'}`],
        [
          'CPU pinning',
          machine.pinning
            ? `the services on core ${machine.pinning.services}; the Collector, Jaeger, Prometheus, PostgreSQL and wrk on ${machine.pinning.others === '1' ? 'core' : 'cores'} ${machine.pinning.others} (taskset): telemetry's cost is the cost inside the services`
            : 'none: every program shared the whole machine, so the cost includes CPU the backends took from the services',
        ],
        ['run', `${results.startedAt} to ${results.finishedAt} (${Math.round(results.durationSeconds / 60)} min)`],
      ],
    ),
    '',
    machine.pinning
      ? 'The five services share one core; PostgreSQL (embedded), the Collector, Jaeger, Prometheus and the load\n' +
          'generator run on the other cores. The cost of telemetry measured here is therefore the cost inside the\n' +
          'service processes; the CPU table below shows what the pipeline took besides.'
      : 'Everything runs on these cores at once: the five services, PostgreSQL (embedded), the Collector, Jaeger,\n' +
          'Prometheus and the load generator. The cost of telemetry measured here therefore includes the CPU the\n' +
          'Collector and Jaeger take from the services; the CPU table below separates the two.',
    '',
    '## Goals',
    '',
    table(
      ['goal', 'target', 'measured', 'met'],
      goals.map((goal) => [goal.description, goal.target, goal.measured, goal.met ? 'yes' : `**no** (missed by ${goal.missedBy})`]),
    ),
    '',
  );

  // Overhead
  push(
    '## Instrumentation overhead',
    '',
    `wrk (one thread, ${o.connections} connections, a closed loop at fixed concurrency) drives each endpoint through`,
    `the gateway for ${o.measureSeconds} s after a ${o.warmupSeconds} s warm-up per endpoint, in ${o.repetitions} repetitions; in each repetition every`,
    'configuration runs in turn on freshly started services and a fresh database (the order alternates between',
    `repetitions). Telemetry on means 100% sampling, metrics every ${settings.metricExportIntervalMs / 1000} s, exported over OTLP to the Collector`,
    'with the shipped config, which exports to Jaeger and Prometheus. Each `POST /api/orders` is a new order',
    'with its own `Idempotency-Key` (one unit of one of the 11 products in stock); orders pass through',
    'catalog, payments (simulated provider latency, default 50 ms mean) and PostgreSQL.',
    '',
    'Configurations:',
    '',
    ...o.configs
      .filter((config) => !(config in overhead.skipped))
      .map((config) => `- \`${config}\`: ${DESCRIPTIONS[config] ?? config}${isContained(config) ? ` (limit ${limitOf(config)} MiB)` : ''}`),
    `- \`chain\`: ${DESCRIPTIONS.chain}`,
    ...Object.entries(overhead.skipped).map(([config, why]) => `- \`${config}\`: not measured on this machine (${why})`),
    '',
  );
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    const data = overhead.endpoints[endpoint];
    push(
      `### ${ENDPOINTS[endpoint]}`,
      '',
      table(
        ['configuration', 'throughput (req/s)', 'p50 (ms)', 'p99 (ms)', 'failed / requests'],
        [...(endpoint === 'products' ? (['chain'] as const) : []), ...o.configs].map((config) => {
          const figures = config === 'chain' ? overhead.chain.products : data.byConfig[config];
          if (!figures) return [config, '-', '-', '-', '-'];
          return [`\`${config}\``, show(figures.throughput), show(figures.p50Ms, f2), show(figures.p99Ms, f2), `${figures.errors} / ${figures.requests}`];
        }),
      ),
      '',
      table(
        [`over \`${off}\``, 'throughput', 'p50', 'p99'],
        Object.entries(data.ratiosToBaseline).map(([config, ratios]) => [`\`${config}\``, showRatio(ratios.throughput), showRatio(ratios.p50), showRatio(ratios.p99)]),
      ),
      '',
      `![${ENDPOINTS[endpoint]} throughput per configuration](performance-${endpoint}.svg)`,
      '',
    );
  }
  push('![Overhead ratios](performance-overhead.svg)', '');
  const cpuOn = overhead.cpu[on] ?? {};
  const cpuOff = overhead.cpu[off] ?? {};
  push(
    '### Where the CPU goes',
    '',
    `CPU time per request (ms) of each program while the load ran, \`${on}\` and \`${off}\`; the gateway's figure includes`,
    'answering the request, the others their share of it. Idle: cores used before any traffic.',
    '',
    table(
      ['program', `idle cores (${on} / ${off})`, `GET /api/products (${on} / ${off})`, `POST /api/orders (${on} / ${off})`],
      Object.keys(cpuOn).map((program) => {
        const a = cpuOn[program];
        const b = cpuOff[program];
        if (!a || !b) return [program, '-', '-', '-'];
        return [
          program,
          `${f2(a.idleCores.median)} / ${f2(b.idleCores.median)}`,
          `${f2(a.msPerRequest.products.median)} / ${f2(b.msPerRequest.products.median)}`,
          `${f2(a.msPerRequest.orders.median)} / ${f2(b.msPerRequest.orders.median)}`,
        ];
      }),
    ),
    '',
  );
  const inProcess = (config: string, endpoint: Endpoint) =>
    SERVICES.reduce((sum, service) => sum + (overhead.cpu[config]?.[service]?.msPerRequest[endpoint].median ?? 0), 0);
  const pipeline = (config: string, endpoint: Endpoint) =>
    ['otel-collector', 'jaeger', 'prometheus'].reduce((sum, program) => sum + (overhead.cpu[config]?.[program]?.msPerRequest[endpoint].median ?? 0), 0);
  push(
    table(
      ['per request (ms CPU)', 'services, telemetry on', 'services, off', 'added in the services', 'Collector + Jaeger + Prometheus, on', 'same, off'],
      (Object.keys(ENDPOINTS) as Endpoint[]).map((endpoint) => [
        ENDPOINTS[endpoint],
        f2(inProcess(on, endpoint)),
        f2(inProcess(off, endpoint)),
        pct(inProcess(on, endpoint) / inProcess(off, endpoint) - 1),
        f2(pipeline(on, endpoint)),
        f2(pipeline(off, endpoint)),
      ]),
    ),
    '',
  );

  // Profile
  const profiled = Object.entries(results.profile.byConfig);
  const pctOf = (share: number) => `${(share * 100).toFixed(1)}%`;
  push(
    '### Where the time goes inside the services: CPU profiles',
    '',
    `GET /api/products for ${results.profile.seconds} s after the warm-up, the gateway and the catalog started with \`node --cpu-prof\`, once per`,
    'configuration (profiling slows them, so these runs are not among the figures above). Shares are of the samples in which the',
    'process was not idle; a package counts when one of its frames is on the stack (so shares overlap).',
    '',
  );
  for (const [config, byService] of profiled) {
    for (const [service, summary] of Object.entries(byService)) {
      push(
        `**${service}, \`${config}\`**: ${summary.samples} samples, idle ${pctOf(summary.idle)}, garbage collector ${pctOf(summary.gc)} of the busy samples.`,
        '',
        table(
          ['most self time', 'share', 'most time under the package', 'share'],
          Array.from({ length: Math.max(summary.topSelf.length, summary.packages.length) }, (_, index) => {
            const own = summary.topSelf[index];
            const pkg = summary.packages[index];
            return [own ? `\`${own.frame}\`` : '', own ? pctOf(own.share) : '', pkg ? `\`${pkg.name}\`` : '', pkg ? pctOf(pkg.share) : ''];
          }),
        ),
        '',
      );
    }
  }

  // Start-up
  const startupConfigs = Object.keys(startup.byService[SERVICES[0]] ?? {});
  push(
    '## Start-up',
    '',
    `Milliseconds from spawning \`node\` to the first 200 from \`/readyz\` (polled every 10 ms), ${settings.startup.repetitions} times per`,
    'service and configuration, the configurations interleaved. The Collector and PostgreSQL are up; orders',
    'connects to PostgreSQL and applies its migrations before it is ready.',
    '',
    ...startupConfigs.map((config) => `- \`${config}\`: ${DESCRIPTIONS[config] ?? config}`),
    '',
    table(
      ['service', ...startupConfigs.map((config) => `\`${config}\` (ms)`), `\`curated\` / \`${startup.baseline}\``, `\`all\` / \`${startup.baseline}\``],
      SERVICES.map((service) => [
        service,
        ...startupConfigs.map((config) => {
          const spread = startup.byService[service]?.[config];
          return spread ? show(spread, (v) => v.toFixed(0)) : '-';
        }),
        startup.ratiosToBaseline[service]?.curated ? `${show(startup.ratiosToBaseline[service].curated, f2)}x` : '-',
        startup.ratiosToBaseline[service]?.all ? `${show(startup.ratiosToBaseline[service].all, f2)}x` : '-',
      ]),
    ),
    '',
    '![Start-up times](performance-startup.svg)',
    '',
    `Where the time goes (spawn to exit, ${settings.startup.repetitions} times): a bare \`node -e process.exit(0)\` takes ${show(startup.preload.bareNode, (v) => v.toFixed(0))} ms;`,
    `with \`--require @qoslab/telemetry/register\` (loading and starting the SDK and the instrumentations) ${show(startup.preload.register, (v) => v.toFixed(0))} ms;`,
    `for comparison, \`require('@opentelemetry/sdk-node')\` alone takes ${show(startup.preload.sdkNodeLoad, (v) => v.toFixed(0))} ms: the generic \`NodeSDK\` loads every exporter it`,
    'can be configured with (OTLP over gRPC, HTTP/JSON and HTTP/protobuf for traces, metrics and logs; Prometheus;',
    'Zipkin), so the register module sets up the trace and metric SDKs itself with the one OTLP/HTTP exporter in use.',
    '',
    'The `no-runtime-node` and `no-pino` variants leave one instrumentation out with `OTEL_NODE_DISABLED_INSTRUMENTATIONS`:',
    'the register module then neither loads its package nor enables it, so they show the whole start-up cost of one',
    'instrumentation.',
    '',
  );

  // Memory
  const memOn = overhead.memory[on] ?? {};
  const memOff = overhead.memory[off] ?? {};
  push(
    '## Memory',
    '',
    'RSS from `/proc/<pid>/status`: idle is after the idle period (before any traffic); under load is the',
    'largest value sampled every 500 ms while the loads ran. Heap is V8’s, summed over heap spaces, from the',
    '`v8js.memory.heap.used` and `v8js.memory.heap.space.size` metrics the services export',
    '(instrumentation-runtime-node), read back from Prometheus: so only with telemetry on.',
    '',
    `A native process has no memory limit: V8 sizes its heap from the host’s ${machine.memoryGiB} GiB and collects lazily, so`,
    'RSS under load shows what it was allowed more than what it needs (heap used is the live data). The contained',
    'configurations run each service as in a container: in its own memory cgroup, with the images’',
    '`--max-old-space-size-percentage=70`, so V8 bounds its heap to 70% of the limit. A limit too tight shows as',
    'garbage collection: more CPU per request (last columns, over the same service without a limit).',
    ...Object.entries(overhead.skipped)
      .filter(([config]) => isContained(config))
      .map(([config, why]) => `\`${config}\` did not complete here: ${why}.`),
    '',
    table(
      [
        'service',
        `RSS idle (${on} / ${off})`,
        `RSS under load (${on} / ${off})`,
        'heap used idle',
        'heap used under load',
        'heap total under load',
        ...limited.map((config) => `RSS under load in ${limitOf(config)} MiB`),
        ...limited.map((config) => `CPU per request in ${limitOf(config)} MiB`),
      ],
      SERVICES.map((service) => {
        const a = memOn[service];
        const b = memOff[service];
        if (!a || !b) return [service, '-', '-', '-', '-', '-'];
        const rise = (config: ContainedConfig) => {
          const value = cpuRiseUnderLimit(overhead, service, config);
          return Number.isFinite(value) ? `${service === 'worker' ? 'jobs/s ' : ''}${pct(service === 'worker' ? 1 / (1 + value) - 1 : value)}` : '-';
        };
        return [
          service,
          `${show(a.idleRssMiB)} / ${show(b.idleRssMiB)}`,
          `${show(a.loadRssMiB)} / ${show(b.loadRssMiB)}`,
          a.heap ? show(a.heap.idleUsedMiB) : '-',
          a.heap ? show(a.heap.loadUsedMiB) : '-',
          a.heap ? show(a.heap.loadTotalMiB) : '-',
          ...limited.map((config) => {
            const inside = overhead.memory[config]?.[service];
            if (!inside) return '-';
            const events = inside.limit ? ` (limit reached ${inside.limit.limitHits}×, OOM kills ${inside.limit.oomKills})` : '';
            return `${show(inside.loadRssMiB)}${events}`;
          }),
          ...limited.map(rise),
        ];
      }),
    ),
    '',
    'MiB. CPU per request: of `GET /api/products` and `POST /api/orders` together (the worker: its CPU jobs per second). “Limit',
    'reached” counts the times the cgroup’s memory use hit its limit (the kernel then reclaims before charging',
    'more; cgroup v1 `memory.failcnt`, v2 `memory.events` max), over all repetitions. RSS counts shared pages',
    '(the node binary) that the cgroup does not, so RSS can sit a little above a limit that was never reached.',
    '',
    '![RSS under load](performance-memory.svg)',
    '',
  );

  // Collector
  const c = settings.collector;
  const lastSteps = collector.repetitions.map((run) => run.steps.at(-1));
  push(
    '## The Collector',
    '',
    `A generator in its own process (\`bench/otlp-generator.ts\`) sends OTLP/HTTP protobuf at stepped rates (${c.rates.join(', ')}`,
    `spans/s; ${c.stepSeconds} s per step) to a freshly started Collector with the shipped config, which exports to the real Jaeger`,
    'and Prometheus. Each trace is three spans like the shop’s (gateway server, its client call, catalog server,',
    'with the same attributes), so redaction, span metrics and the service graph do their usual work. A step is',
    '**sustained** when the Collector refused nothing (`otelcol_receiver_refused_spans`, `otelcol_receiver_failed_spans`), failed or dropped nothing',
    '(`otelcol_exporter_send_failed_spans`, `otelcol_exporter_enqueue_failed_spans`, and the same for the metric',
    `points sent to Prometheus), the generator could send at least 95% of the offered rate, and the queue to Jaeger`,
    `drained within ${c.drainSeconds} s after the step. The ladder stops at the first step that is not sustained.`,
    '',
    `**Highest sustained rate: ${show(collector.maxSustainedSpansPerSecond, (v) => v.toFixed(0))} spans/s**` +
      (collector.limitedByLadder ? ' (the highest rate offered: the limit lies above it).' : '.') +
      ` At that rate the Collector used ${show(collector.atMax.collectorCores, f2)} cores and at most ${show(collector.atMax.collectorRssMiB)} MiB RSS.`,
    '',
    table(
      ['repetition', 'highest sustained (spans/s)', 'first step not sustained', 'why'],
      collector.repetitions.map((run, index) => {
        const last = lastSteps[index];
        const failed = last && !last.sustained ? last : undefined;
        return [String(index + 1), String(run.maxSustainedSpansPerSecond), failed ? String(failed.targetSpansPerSecond) : '-', failed ? failed.reason : 'every step sustained'];
      }),
    ),
    '',
    table(
      ['offered (spans/s)', 'sent', 'Collector cores', 'Collector RSS (MiB)', 'queue max / capacity', 'drained after (s)', 'generator cores'],
      (collector.repetitions[0]?.steps ?? []).map((one) => [
        String(one.targetSpansPerSecond),
        String(one.achievedSpansPerSecond),
        f2(one.collectorCores),
        f1(one.collectorRssMiB),
        `${one.maxQueueSize} / ${one.queueCapacity}`,
        one.drainSeconds === null ? 'no' : f1(one.drainSeconds),
        f2(one.generatorCores),
      ]),
    ),
    '',
    'The steps of the first repetition. The generator, Jaeger and Prometheus share the cores with the Collector.',
    '',
  );

  // Sizing
  push(
    '## Sizing',
    '',
    'Requests and limits for the Kubernetes manifests and the compose file, per program, from the',
    `telemetry-on measurements above (Node.js ${machine.node}, this CPU). The design rate is the \`stress\` load shape's`,
    `peak: 30 journeys/s, each three reads and one order, priced as ${DESIGN_RATE.productsPerSecond} \`GET /api/products\`/s and`,
    `${DESIGN_RATE.ordersPerSecond} \`POST /api/orders\`/s.`,
    '',
    ...(limited.length > 0
      ? [
          `- memory of the services: the smallest limit tried (${limited.map((config) => `${limitOf(config)} MiB`).join(', ')}, with the images’ heap`,
          `  setting) at which the service had no OOM kill and its CPU per request rose by at most ${MAX_CPU_RISE_UNDER_LIMIT * 100}% over no`,
          '  limit (the worker: its jobs per second fell by at most that much); the largest tried when none did;',
        ]
      : ['- memory of the services: the largest RSS under load plus 50%, rounded up to 16 MiB;']),
    '- memory of the Go programs: the largest RSS under load plus 50%, rounded up to 16 MiB (room for bursts;',
    '  an OOM kill then means a leak, not a busy minute);',
    '- memory request = memory limit everywhere (the kit’s rule, [qos.md](qos.md): memory is incompressible, so',
    '  a pod must never be killed for using what it asked for);',
    '- CPU request: idle CPU plus CPU per request × the design rate, rounded up to 10m (50m at least); the worker:',
    '  the CPU it used running 4 concurrent CPU jobs;',
    '- no CPU limit (the kit’s rule: a pod uses idle CPU and is squeezed back to its request under contention;',
    '  only the QoS lab’s Guaranteed worker has one, on purpose).',
    '',
    table(
      ['program', 'largest RSS under load (MiB)', 'memory request', 'memory limit', 'CPU request', 'CPU limit', 'CPU basis'],
      results.sizing.rows.map((row) => [
        row.program,
        f1(row.measuredLoadRssMiB),
        `${row.memoryRequestMiB}Mi`,
        `${row.memoryLimitMiB}Mi`,
        `${row.cpuRequestMillicores}m`,
        row.cpuLimitMillicores === null ? 'none' : `${row.cpuLimitMillicores}m`,
        row.basis,
      ]),
    ),
    '',
    'The worker’s memory limit belongs to the QoS lab, not to this table: its memory jobs allocate what they are',
    'asked for (up to `WORKER_MAX_MEMORY_MIB`), on purpose; the row covers the worker running CPU jobs.',
    'The Collector’s row also covers its highest sustained span rate. Its `memory_limiter` must act before the',
    'container limit: set `OTELCOL_MEMORY_LIMIT_MIB` to about 80% of the container’s limit and',
    '`OTELCOL_MEMORY_SPIKE_LIMIT_MIB` to about 20% (the config’s defaults, 400 and 100, assume a limit of',
    'about 512 MiB). Jaeger’s memory grows with the traces it keeps (`JAEGER_MAX_TRACES`, 20,000 by default);',
    'its figure is what this run’s traffic filled.',
    '',
  );

  // Cheapest set
  const curatedStart = (service: string) => startup.byService[service]?.curated;
  const noRuntimeStart = (service: string) => startup.byService[service]?.['no-runtime-node'];
  const runtimeCost = SERVICES.map((service) => {
    const a = curatedStart(service);
    const b = noRuntimeStart(service);
    return a && b ? { service, delta: a.median - b.median, distinct: distinct(a, b) } : undefined;
  }).filter((entry): entry is { service: (typeof SERVICES)[number]; delta: number; distinct: boolean } => entry !== undefined);
  const runtimeOverhead = (Object.keys(ENDPOINTS) as Endpoint[]).map((endpoint) => {
    const a = overhead.endpoints[endpoint].ratiosToBaseline[on];
    const b = overhead.endpoints[endpoint].ratiosToBaseline['no-runtime-node'];
    return a && b ? { endpoint, a, b } : undefined;
  });
  push(
    '## Is the curated set the cheapest that still gives the required traces?',
    '',
    'The trace tests (`test/telemetry/trace.test.ts`) need these instrumentations:',
    '',
    ...REQUIRED_BY_TESTS.map(([name, why]) => `- \`${name}\`: ${why}`),
    '',
    'The curated set is those five plus `instrumentation-runtime-node`, which adds no spans: it exports the',
    'event-loop, GC and V8 heap metrics (the heap figures on this page come from it). Measured here:',
    '',
    ...runtimeCost.map(
      (entry) =>
        `- ${entry.service}: start-up ${entry.delta >= 0 ? '+' : ''}${entry.delta.toFixed(0)} ms with runtime-node enabled ` +
        `(${entry.distinct ? 'beyond' : 'within'} the spread of the repetitions)`,
    ),
    ...runtimeOverhead.flatMap((entry) =>
      entry
        ? [
            `- ${ENDPOINTS[entry.endpoint]}: throughput ${showRatio(entry.a.throughput)} with runtime-node, ${showRatio(entry.b.throughput)} without; ` +
              `p99 ${showRatio(entry.a.p99)} with, ${showRatio(entry.b.p99)} without (each over \`${off}\`)`,
          ]
        : [],
    ),
    '',
    verdict(results),
    '',
    '`instrumentation-pino` costs start-up only (the services log no line per request at the default level), as',
    'the `no-pino` column of the start-up table shows; it is required by the log-correlation test.',
    '',
  );

  // Missed goals
  const missed = goals.filter((goal) => !goal.met);
  push('## Goals missed, and what it would take', '');
  if (missed.length === 0) push('None: every goal is met in this run.', '');
  else {
    push(...missed.map((goal) => `- ${goal.description}: ${goal.measured}, goal ${goal.target}, missed by ${goal.missedBy}.`), '');
    for (const [prefix, heading] of [
      ['overhead', 'Throughput and latency'],
      ['startup', 'Start-up'],
      ['rss', 'Memory'],
    ] as const) {
      const ids = missed.map((goal) => goal.id).filter((id) => (prefix === 'overhead' ? /^(throughput|p99|peer|chain|tail)-/.test(id) : id.startsWith(`${prefix}-`)));
      if (ids.length > 0) push(`**${heading}.** ${remedy(prefix, ids, results)}`, '');
    }
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

/** Whether runtime-node's cost shows through the noise, from this run's figures. */
function verdict(results: Results): string {
  const { overhead, startup } = results;
  const startDistinct = SERVICES.some((service) => {
    const a = startup.byService[service]?.curated;
    const b = startup.byService[service]?.['no-runtime-node'];
    return a && b && distinct(a, b) && a.median > b.median;
  });
  const runDistinct = (Object.keys(ENDPOINTS) as Endpoint[]).some((endpoint) => {
    const a = overhead.endpoints[endpoint].byConfig[overhead.telemetry]?.throughput;
    const b = overhead.endpoints[endpoint].byConfig['no-runtime-node']?.throughput;
    return a && b && distinct(a, b) && a.median < b.median;
  });
  if (!startDistinct && !runDistinct) {
    return (
      '**Verdict:** runtime-node’s cost does not show through the spread of the repetitions (three at least), neither at start-up ' +
      'nor under load, so the curated set is as cheap as the minimum the trace tests need, and keeps the runtime metrics.'
    );
  }
  return (
    '**Verdict:** runtime-node has a cost that shows through the spread' +
    (startDistinct ? ' at start-up' : '') +
    (startDistinct && runDistinct ? ' and' : '') +
    (runDistinct ? ' under load' : '') +
    '. The cheapest set that still gives the required traces is the curated set without it; keeping it is a ' +
    'choice for the event-loop and heap metrics, paid with the figures above.'
  );
}

function remedy(kind: 'overhead' | 'startup' | 'rss', ids: string[], results: Results): string {
  const { overhead, startup, settings } = results;
  const off = overhead.baseline;
  if (kind === 'overhead') {
    const measured = (Object.keys(ENDPOINTS) as Endpoint[]).flatMap((endpoint) => {
      const ratios = overhead.endpoints[endpoint].ratiosToBaseline;
      return (['sampled', 'no-runtime-node'] as const)
        .filter((config) => ratios[config])
        .map(
          (config) =>
            `${ENDPOINTS[endpoint]} with \`${config}\`: throughput ${showRatio(ratios[config]?.throughput as Spread)}, p99 ${showRatio(ratios[config]?.p99 as Spread)}`,
        );
    });
    const gateway = (config: string) => results.profile.byConfig[config]?.gateway;
    const under = (config: string, name: string) => gateway(config)?.packages.find((entry) => entry.name === name)?.share;
    const profileFacts = (
      [
        ['@opentelemetry/instrumentation-http', 'the HTTP server and client spans'],
        ['@opentelemetry/context-async-hooks', 'carrying the active context across callbacks'],
        ['@opentelemetry/instrumentation-express', 'the route on the server span'],
        ['@opentelemetry/instrumentation-undici', 'the fetch client spans and header injection'],
      ] as const
    ).flatMap(([name, what]) => {
      const share = under(overhead.telemetry, name);
      return share === undefined ? [] : [`\`${name}\` ${(share * 100).toFixed(0)}% (${what})`];
    });
    const on = gateway(overhead.telemetry);
    const bare = gateway(off);
    const { chain } = overhead;
    return (
      (measured.length ? `Measured in the same run, over \`${off}\`: ${measured.join('; ')}. ` : '') +
      (profileFacts.length ? `In the gateway's profile with telemetry on, time under ${profileFacts.join(', ')}. ` : '') +
      (on && bare ? `The garbage collector took ${(on.gc * 100).toFixed(0)}% of the gateway's busy time with telemetry on, ${(bare.gc * 100).toFixed(0)}% without. ` : '') +
      'The cost is per request and fixed: span creation, context propagation and attributes in the HTTP, Express ' +
      'and undici instrumentations, the duration histograms and the export; it weighs most on the cheapest requests ' +
      '(`GET /api/products` is a cached list of twelve products). ' +
      (results.machine.pinning
        ? 'The services had a core to themselves, so this is the cost inside the service processes, not CPU the pipeline took from them. '
        : 'The services shared the cores with the pipeline here, so part of the cost is CPU the Collector took from them. ') +
      `Without telemetry the shop's GET ran at ${(chain.baselineOverChain.median * 100).toFixed(0)}% of the two-hop Express chain's throughput. ` +
      'What would close the rest is fewer spans per request (no client span where the next hop’s server span says the same), ' +
      'a cheaper context manager, and sampling at the edge: sampling removes the export and the pipeline’s work for ' +
      'unsampled traces, not the instrumentations’ own work, as the `sampled` rows show.'
    );
  }
  if (kind === 'startup') {
    const perService = ids.map((id) => {
      const service = id.slice('startup-'.length);
      const cached = startup.ratiosToBaseline[service]?.['curated-cached'];
      const lean = startup.ratiosToBaseline[service]?.['no-runtime-node'];
      return (
        `${service}: with the compile cache ${cached ? `${show(cached, f2)}x` : '-'}, without runtime-node ${lean ? `${show(lean, f2)}x` : '-'}` +
        ` (over \`${startup.baseline}\`)`
      );
    });
    return (
      `Measured: ${perService.join('; ')}. Loading the preload costs ${f1(startup.preload.register.median - startup.preload.bareNode.median)} ms ` +
      `over a bare node (the generic \`@opentelemetry/sdk-node\` alone would cost ${f1(startup.preload.sdkNodeLoad.median - startup.preload.bareNode.median)} ms, which is why the kit does not use it): ` +
      'dropping an instrumentation saves little; a compile cache primed in the image, or loading instrumentations ' +
      'lazily, is what would bring it down further.'
    );
  }
  const services = ids.map((id) => id.split('-').at(-1) as string);
  const facts = [...new Set(services)].map((service) => {
    const heap = overhead.memory[overhead.telemetry]?.[service]?.heap;
    const inLimits = CONTAINED_CONFIGS.filter((config) => overhead.memory[config]?.[service]).map((config) => {
      const inside = overhead.memory[config]?.[service];
      return `in ${settings.overhead.containedLimitsMiB[config]} MiB at most ${f1(inside?.loadRssMiB.max ?? Number.NaN)} MiB RSS`;
    });
    return `${service}: live heap under load ${heap ? show(heap.loadUsedMiB) : '-'} MiB of ${heap ? show(heap.loadTotalMiB) : '-'} MiB committed` + (inLimits.length ? `, ${inLimits.join(', ')}` : '');
  });
  return (
    `Measured: ${facts.join('; ')}. V8 lets its heap grow to what it is allowed before it collects hard, so a ` +
    'native process shows what the host allows; a memory limit with the heap sized from it (as the images do) keeps ' +
    'RSS near the live data plus the runtime, at the price of more garbage collection: the memory table shows what ' +
    'each limit cost in CPU per request, and the sizing below takes the smallest limit that did not cost much.'
  );
}

/** Writes performance.md and its charts into docsDir; returns the files written. */
export function writeReport(results: Results, docsDir: string, resultsFile: string): string[] {
  mkdirSync(docsDir, { recursive: true });
  const written: string[] = [];
  for (const [name, svg] of Object.entries(charts(results))) {
    const path = join(docsDir, name);
    writeFileSync(path, svg);
    written.push(path);
  }
  const page = join(docsDir, 'performance.md');
  writeFileSync(page, markdown(results, relative(repoRoot, resultsFile)));
  written.push(page);
  return written;
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'docs-dir': { type: 'string' } } });
  const file = resolve(positionals[0] ?? join(repoRoot, 'bench', 'results', 'latest.json'));
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Results;
  // Goals and sizing are derived from the measurements: re-derived here, so a change of the rules in
  // bench/lib/analysis.ts shows on the page without measuring again (the results file is left as measured).
  const results: Results = { ...stored, goals: evaluateGoals(stored), sizing: sizing(stored) };
  const written = writeReport(results, resolve(values['docs-dir'] ?? join(repoRoot, 'docs')), file);
  process.stderr.write(`report: ${written.join(', ')}\n`);
}
