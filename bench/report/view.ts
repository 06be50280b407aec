// The performance page's view model: every figure and table the template (performance.md.mustache)
// shows, computed from a results file of bench/run.ts. The prose is the template's.
import { SERVICES } from '@qoslab/native-stack';
import { cpuRiseUnderLimit, DESIGN_RATE, MAX_CPU_RISE_UNDER_LIMIT } from '../lib/analysis';
import { ENDPOINTS, type Endpoint, type Results } from '../lib/results';
import { CONTAINED_CONFIGS, type ContainedConfig, imageMemorySettings, isContained } from '../lib/shop';
import type { Spread } from '../lib/stats';

const DESCRIPTIONS: Record<string, string> = {
  curated: 'telemetry on: the kit’s preload with its curated instrumentations, 100% sampling',
  off: 'OTEL_SDK_DISABLED=true: the preload loads nothing',
  all: 'the upstream peer: every default auto-instrumentation, `--require @opentelemetry/auto-instrumentations-node/register` (what the OpenTelemetry demo’s Node service does)',
  'no-runtime-node': 'the curated set without instrumentation-runtime-node',
  sampled: 'the curated set, 10% of traces kept (`parentbased_traceidratio`, ratio 0.1)',
  'curated-cached': '`curated` with Node’s on-disk compile cache (`NODE_COMPILE_CACHE`), written by an earlier, unmeasured start',
  'off-cached': '`off` with the same compile cache',
  contained: `\`curated\`, each service in its own memory cgroup (a container’s memory limit) with the images’ memory settings from services/Dockerfile (${[
    ...imageMemorySettings().flags,
    ...Object.entries(imageMemorySettings().env).map(([name, value]) => `${name}=${value}`),
  ]
    .map((setting) => `\`${setting}\``)
    .join(', ')})`,
  'contained-large': 'the same with a larger memory limit',
  'sdk-only': 'the preload with the SDK, its context manager and exporters, and no instrumentation',
  unsampled: 'the curated set with the `always_off` sampler: every span is created non-recording and none is exported; metrics are recorded',
  bare: 'the curated set with nothing recorded: the `always_off` sampler and no metric exporter (so no meter provider)',
  'bare-http': 'the kit’s HTTP server instrumentation alone, nothing recorded',
  'bare-http-client': 'the kit’s fetch client instrumentation alone, nothing recorded',
  'upstream-bare-http': 'what `bare-http` replaces: instrumentation-http and instrumentation-express by the upstream register, nothing recorded',
  'upstream-bare-undici': 'what `bare-http-client` replaces: instrumentation-undici by the upstream register, nothing recorded',
  chain: 'the limit: two minimal Express apps (bench/chain/hop.mjs), the first fetching the product list from the second with the same HTTP client, on the services’ core; GET only',
};

/** Instrumentations the trace tests (test/telemetry/trace.test.ts) depend on, and what for. */
const REQUIRED_BY_TESTS = [
  ['http-server', 'the kit’s own (packages/telemetry/src/http-server.ts): server spans with `http.route`, the trace through all services, the request duration histogram'],
  ['http-client', 'the kit’s own (packages/telemetry/src/http-client.ts): client spans of service-to-service calls (fetch) and the trace context they carry'],
  ['instrumentation-pg', 'PostgreSQL spans under orders'],
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

/** What the breakdown phase says the throughput loss is made of; undefined without that phase. */
function breakdownFacts(results: Results): string | undefined {
  const ratios = results.breakdown?.throughputToBaseline;
  if (!ratios) return undefined;
  const lost = (config: string) => (ratios[config] ? `${((1 - ratios[config].median) * 100).toFixed(1)}%` : '-');
  return (
    `The breakdown (GET /api/products, gateway and catalog alone) splits the loss: the SDK without instrumentations ${lost('sdk-only')}, ` +
    `with nothing recorded the kit’s HTTP server instrumentation alone ${lost('bare-http')} (upstream’s instrumentation-http and instrumentation-express, which it replaces, ${lost('upstream-bare-http')}), ` +
    `the kit’s fetch client instrumentation alone ${lost('bare-http-client')} (instrumentation-undici, which it replaces, ${lost('upstream-bare-undici')}), ` +
    `the curated set ${lost('bare')}; recording metrics but no span ${lost('unsampled')}; as shipped ${lost('curated')}. ` +
    'What is left is the SDK’s own work per span, which no set-up choice removes: creating it, checking each attribute ' +
    '(`@opentelemetry/core` checks every value with a new WeakSet, and attributes given at start twice), queueing it, and ' +
    'serialising it for the export; and the garbage those leave behind.'
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
        ['@qoslab/telemetry', 'the kit’s server and client instrumentations and its duration histograms'],
        ['@opentelemetry/sdk-trace', 'creating, ending and batching spans'],
        ['@opentelemetry/otlp-transformer', 'serialising spans for the export'],
        ['@opentelemetry/core', 'the SDK’s attribute checks and trace-context parsing'],
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
      'The cost is per request and fixed: three spans per `GET /api/products` (the gateway’s server and client spans, ' +
      'the catalog’s server span) created, checked, queued and serialised, the trace context carried across the hop, ' +
      'and the duration histograms; it weighs most on the cheapest requests (`GET /api/products` is a cached list of twelve products). ' +
      (results.machine.pinning
        ? 'The services had a core to themselves, so this is the cost inside the service processes, not CPU the pipeline took from them. '
        : 'The services shared the cores with the pipeline here, so part of the cost is CPU the Collector took from them. ') +
      `Without telemetry the shop's GET ran at ${(chain.baselineOverChain.median * 100).toFixed(0)}% of the two-hop Express chain's throughput. ` +
      (breakdownFacts(results) ??
        'What would close the rest is the SDK’s own work per span (creation, attribute checks, serialisation); sampling ' +
          'removes it for the spans it drops, as the `sampled` rows show.')
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
      'the preload is one bundled file (esbuild), so what is left is compiling it and running the set-up (resource ' +
      'detection, providers, instrumentations); Node’s compile cache (`curated-cached`) takes out the compiling.'
    );
  }
  const services = ids.map((id) => id.split('-').at(-1) as string);
  const facts = [...new Set(services)].map((service) => {
    const heap = overhead.memory[overhead.telemetry]?.[service]?.heap;
    const inLimits = CONTAINED_CONFIGS.filter((config) => overhead.memory[config]?.[service]).map((config) => {
      const inside = overhead.memory[config]?.[service];
      return `in ${settings.overhead.containedLimitsMiB[config]} MiB at most ${f1(inside?.loadRssMiB.max ?? Number.NaN)} MiB RSS`;
    });
    const file = overhead.memory[CONTAINED_CONFIGS[0]]?.[service]?.loadRssFileMiB;
    return (
      `${service}: live heap under load ${heap ? show(heap.loadUsedMiB) : '-'} MiB of ${heap ? show(heap.loadTotalMiB) : '-'} MiB committed` +
      (inLimits.length ? `, ${inLimits.join(', ')}` : '') +
      (file ? ` (of which ${show(file)} MiB file-backed: the node binary’s own pages)` : '')
    );
  });
  return (
    `Measured: ${facts.join('; ')}. V8 lets its heap grow to what it is allowed before it collects hard, so a ` +
    'native process shows what the host allows; a memory limit with the heap sized from it (as the images do) keeps ' +
    'RSS near the live data plus the runtime, at the price of more garbage collection: the memory table shows what ' +
    'each limit cost in CPU per request, and the sizing below takes the smallest limit that did not cost much. ' +
    'Under a 128 MiB limit RSS cannot go much lower: the node binary’s pages, V8’s heap (with the young generation capped ' +
    'by `--max-semi-space-size`, which V8 does not size from the limit) and the allocations of its compiler threads ' +
    '(fewer kept with `MALLOC_ARENA_MAX=2`) add up to about the figures above.'
  );
}

export function reportView(results: Results, resultsPath: string) {
  const { machine, settings, overhead, startup, collector, goals } = results;
  const o = settings.overhead;
  const on = overhead.telemetry;
  const off = overhead.baseline;
  const limited = CONTAINED_CONFIGS.filter((config) => overhead.memory[config]);
  const limitOf = (config: ContainedConfig) => o.containedLimitsMiB[config];
  const endpoints = Object.keys(ENDPOINTS) as Endpoint[];

  const machineTable = table(
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
  );
  const goalsTable = table(
    ['goal', 'target', 'measured', 'met'],
    goals.map((goal) => [goal.description, goal.target, goal.measured, goal.met ? 'yes' : `**no** (missed by ${goal.missedBy})`]),
  );
  const configurations = [
    ...o.configs
      .filter((config) => !(config in overhead.skipped))
      .map((config) => ({ name: config, description: `${DESCRIPTIONS[config] ?? config}${isContained(config) ? ` (limit ${limitOf(config)} MiB)` : ''}` })),
    { name: 'chain', description: DESCRIPTIONS.chain },
    ...Object.entries(overhead.skipped).map(([config, why]) => ({ name: config, description: `not measured on this machine (${why})` })),
  ];
  const endpointViews = endpoints.map((endpoint) => {
    const data = overhead.endpoints[endpoint];
    return {
      id: endpoint,
      title: ENDPOINTS[endpoint],
      figuresTable: table(
        ['configuration', 'throughput (req/s)', 'p50 (ms)', 'p99 (ms)', 'failed / requests'],
        [...(endpoint === 'products' ? (['chain'] as const) : []), ...o.configs].map((config) => {
          const figures = config === 'chain' ? overhead.chain.products : data.byConfig[config];
          if (!figures) return [config, '-', '-', '-', '-'];
          return [`\`${config}\``, show(figures.throughput), show(figures.p50Ms, f2), show(figures.p99Ms, f2), `${figures.errors} / ${figures.requests}`];
        }),
      ),
      ratiosTable: table(
        [`over \`${off}\``, 'throughput', 'p50', 'p99'],
        Object.entries(data.ratiosToBaseline).map(([config, ratios]) => [`\`${config}\``, showRatio(ratios.throughput), showRatio(ratios.p50), showRatio(ratios.p99)]),
      ),
    };
  });

  const cpuOn = overhead.cpu[on] ?? {};
  const cpuOff = overhead.cpu[off] ?? {};
  const cpuTable = table(
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
  );
  const inProcess = (config: string, endpoint: Endpoint) =>
    SERVICES.reduce((sum, service) => sum + (overhead.cpu[config]?.[service]?.msPerRequest[endpoint].median ?? 0), 0);
  const pipeline = (config: string, endpoint: Endpoint) =>
    ['otel-collector', 'jaeger', 'prometheus'].reduce((sum, program) => sum + (overhead.cpu[config]?.[program]?.msPerRequest[endpoint].median ?? 0), 0);
  const cpuSplitTable = table(
    ['per request (ms CPU)', 'services, telemetry on', 'services, off', 'added in the services', 'Collector + Jaeger + Prometheus, on', 'same, off'],
    endpoints.map((endpoint) => [
      ENDPOINTS[endpoint],
      f2(inProcess(on, endpoint)),
      f2(inProcess(off, endpoint)),
      pct(inProcess(on, endpoint) / inProcess(off, endpoint) - 1),
      f2(pipeline(on, endpoint)),
      f2(pipeline(off, endpoint)),
    ]),
  );

  const pctOf = (share: number) => `${(share * 100).toFixed(1)}%`;
  const profiles = Object.entries(results.profile.byConfig).flatMap(([config, byService]) =>
    Object.entries(byService).map(([service, summary]) => ({
      service,
      config,
      samples: summary.samples,
      idle: pctOf(summary.idle),
      gc: pctOf(summary.gc),
      table: table(
        ['most self time', 'share', 'most time under the package', 'share'],
        Array.from({ length: Math.max(summary.topSelf.length, summary.packages.length) }, (_, index) => {
          const own = summary.topSelf[index];
          const pkg = summary.packages[index];
          return [own ? `\`${own.frame}\`` : '', own ? pctOf(own.share) : '', pkg ? `\`${pkg.name}\`` : '', pkg ? pctOf(pkg.share) : ''];
        }),
      ),
    })),
  );

  const startupConfigs = Object.keys(startup.byService[SERVICES[0]] ?? {});
  const startupTable = table(
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
  );

  const memOn = overhead.memory[on] ?? {};
  const memOff = overhead.memory[off] ?? {};
  const memoryTable = table(
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
  );

  const outageTable = table(
    ['Collector', 'p50 (ms)', 'p50, Collector up (ms)', 'p50 over up', 'p99 (ms)', 'p99, Collector up (ms)', 'p99 over up', 'failed / requests'],
    Object.entries(results.outage.byFault).map(([fault, figures]) => [
      fault,
      show(figures.during.p50Ms, f2),
      show(figures.baseline.p50Ms, f2),
      showRatio(figures.p50),
      show(figures.during.p99Ms, f2),
      show(figures.baseline.p99Ms, f2),
      showRatio(figures.p99),
      `${figures.during.errors} / ${figures.during.requests}`,
    ]),
  );

  const breakdown = results.breakdown;
  const lost = (config: string) => {
    const ratio = breakdown?.throughputToBaseline[config];
    return ratio ? 1 - ratio.median : undefined;
  };
  const [bareLost, curatedLost] = [lost('bare'), lost('curated')];
  const breakdownView = breakdown && {
    seconds: settings.breakdown.measureSeconds,
    warmupSeconds: settings.breakdown.warmupSeconds,
    repetitions: settings.breakdown.repetitions,
    configurations: Object.keys(breakdown.byConfig).map((config) => ({ name: config, description: DESCRIPTIONS[config] ?? config })),
    table: table(
      ['configuration', 'throughput (req/s)', 'p99 (ms)', `throughput over \`${breakdown.baseline}\``],
      Object.entries(breakdown.byConfig).map(([config, figures]) => {
        const ratio = breakdown.throughputToBaseline[config];
        return [`\`${config}\``, show(figures.throughput), show(figures.p99Ms, f2), ratio ? showRatio(ratio) : '(baseline)'];
      }),
    ),
    summary:
      bareLost !== undefined && curatedLost !== undefined && curatedLost > 0
        ? `With nothing recorded the curated set lost ${(bareLost * 100).toFixed(1)}% of the throughput, ${((bareLost / curatedLost) * 100).toFixed(0)}% of the ${(curatedLost * 100).toFixed(1)}% it lost as shipped: ` +
          (bareLost / curatedLost >= 0.5
            ? 'most of the cost is in the instrumentations’ hooks (patched servers and clients, context propagation, attributes computed for spans nobody records), not in recording or exporting spans, which is why sampling saves little.'
            : 'most of the cost is in recording and exporting what the instrumentations produce, which sampling and a cheaper export would cut.')
        : undefined,
    serverSwap: ((kit, upstream) =>
      kit !== undefined && upstream !== undefined
        ? `Server spans alone, nothing recorded: the kit’s http-server instrumentation lost ${(kit * 100).toFixed(1)}% of the throughput, ` +
          `upstream’s instrumentation-http with instrumentation-express ${(upstream * 100).toFixed(1)}% in the same repetitions.`
        : undefined)(lost('bare-http'), lost('upstream-bare-http')),
    clientSwap: ((kit, upstream) =>
      kit !== undefined && upstream !== undefined
        ? `Client spans alone, nothing recorded: the kit’s http-client instrumentation lost ${(kit * 100).toFixed(1)}% of the throughput, ` +
          `upstream’s instrumentation-undici ${(upstream * 100).toFixed(1)}% in the same repetitions.`
        : undefined)(lost('bare-http-client'), lost('upstream-bare-undici')),
  };

  const lastSteps = collector.repetitions.map((run) => run.steps.at(-1));
  const collectorRunsTable = table(
    ['repetition', 'highest sustained (spans/s)', 'first step not sustained', 'why'],
    collector.repetitions.map((run, index) => {
      const last = lastSteps[index];
      const failed = last && !last.sustained ? last : undefined;
      return [String(index + 1), String(run.maxSustainedSpansPerSecond), failed ? String(failed.targetSpansPerSecond) : '-', failed ? failed.reason : 'every step sustained'];
    }),
  );
  const collectorStepsTable = table(
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
  );
  const sizingTable = table(
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
  );

  const runtimeFacts = [
    ...SERVICES.flatMap((service) => {
      const a = startup.byService[service]?.curated;
      const b = startup.byService[service]?.['no-runtime-node'];
      if (!a || !b) return [];
      const delta = a.median - b.median;
      return [`${service}: start-up ${delta >= 0 ? '+' : ''}${delta.toFixed(0)} ms with runtime-node enabled (${distinct(a, b) ? 'beyond' : 'within'} the spread of the repetitions)`];
    }),
    ...endpoints.flatMap((endpoint) => {
      const a = overhead.endpoints[endpoint].ratiosToBaseline[on];
      const b = overhead.endpoints[endpoint].ratiosToBaseline['no-runtime-node'];
      if (!a || !b) return [];
      return [
        `${ENDPOINTS[endpoint]}: throughput ${showRatio(a.throughput)} with runtime-node, ${showRatio(b.throughput)} without; ` +
          `p99 ${showRatio(a.p99)} with, ${showRatio(b.p99)} without (each over \`${off}\`)`,
      ];
    }),
  ];

  const missedGoals = goals.filter((goal) => !goal.met);
  const remedies = missedGoals.length === 0
    ? []
    : (
        [
          ['overhead', 'Throughput and latency'],
          ['startup', 'Start-up'],
          ['rss', 'Memory'],
        ] as const
      ).flatMap(([prefix, heading]) => {
        const ids = missedGoals.map((goal) => goal.id).filter((id) => (prefix === 'overhead' ? /^(throughput|p99|peer|chain|tail)-/.test(id) : id.startsWith(`${prefix}-`)));
        return ids.length > 0 ? [{ heading, text: remedy(prefix, ids, results) }] : [];
      });

  const c = settings.collector;
  return {
    resultsPath,
    mode: results.mode,
    quick: results.mode === 'quick',
    minutesAtLeastOne: Math.max(1, Math.round(results.durationSeconds / 60)),
    pinning: Boolean(machine.pinning),
    machineTable,
    goalsTable,
    connections: o.connections,
    measureSeconds: o.measureSeconds,
    warmupSeconds: o.warmupSeconds,
    repetitions: o.repetitions,
    metricSeconds: settings.metricExportIntervalMs / 1000,
    configurations,
    endpoints: endpointViews,
    on,
    off,
    cpuTable,
    cpuSplitTable,
    profileSeconds: results.profile.seconds,
    profiles,
    startupRepetitions: settings.startup.repetitions,
    startupConfigurations: startupConfigs.map((config) => ({ name: config, description: DESCRIPTIONS[config] ?? config })),
    startupTable,
    bareNode: show(startup.preload.bareNode, (v) => v.toFixed(0)),
    register: show(startup.preload.register, (v) => v.toFixed(0)),
    sdkNodeLoad: show(startup.preload.sdkNodeLoad, (v) => v.toFixed(0)),
    memoryGiB: machine.memoryGiB,
    containedSkipped: Object.entries(overhead.skipped)
      .filter(([config]) => isContained(config))
      .map(([name, why]) => ({ name, why })),
    memoryTable,
    breakdown: breakdownView,
    outageTable,
    outageSeconds: settings.outage.measureSeconds,
    outageRepetitions: settings.outage.repetitions,
    collectorRates: c.rates.join(', '),
    collectorStepSeconds: c.stepSeconds,
    collectorDrainSeconds: c.drainSeconds,
    maxSustained: show(collector.maxSustainedSpansPerSecond, (v) => v.toFixed(0)),
    limitedByLadder: collector.limitedByLadder,
    collectorCoresAtMax: show(collector.atMax.collectorCores, f2),
    collectorRssAtMax: show(collector.atMax.collectorRssMiB),
    collectorRunsTable,
    collectorStepsTable,
    node: machine.node,
    designProducts: DESIGN_RATE.productsPerSecond,
    designOrders: DESIGN_RATE.ordersPerSecond,
    limitsTried: limited.map((config) => `${limitOf(config)} MiB`).join(', '),
    maxCpuRisePercent: MAX_CPU_RISE_UNDER_LIMIT * 100,
    sizingTable,
    requiredByTests: REQUIRED_BY_TESTS.map(([name, why]) => ({ name, why })),
    runtimeFacts,
    verdict: verdict(results),
    missed: missedGoals.map((goal) => `${goal.description}: ${goal.measured}, goal ${goal.target}, missed by ${goal.missedBy}.`),
    remedies,
  };
}
