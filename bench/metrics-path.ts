// Remote write or OTLP into Prometheus: two Collectors with the shipped config, one exporting metrics by
// OTLP to Prometheus's OTLP receiver (the kit's path), one by remote write, each into its own Prometheus
// 3, all four running side by side while the same OTLP metrics request (counters and histograms from the
// OpenTelemetry SDK, as the services send) is posted to both Collectors at a fixed interval. Compares
// the CPU and memory each Collector and each Prometheus spent per sample stored, and what each
// Prometheus stored: samples, series, metric names and label names.
//
//   node --import tsx bench/metrics-path.ts [--quick] [--out FILE]
//
// Writes bench/results/metrics-path.json (--quick: .run/bench/metrics-path.json); exit 1 when a
// measurement failed, 2 on a usage or setup error.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { parse, stringify } from 'yaml';
import { CollectorMetrics, freePort, freePorts, ManagedProcess, repoRoot, toolPath } from '@qoslab/native-stack';
import { stopAll, track } from './lib/cleanup';

import { cpuWindow, RssSampler } from './lib/proc';
import { backendSpec } from './lib/shop';
import { spread } from './lib/stats';

const USAGE = 'usage: node --import tsx bench/metrics-path.ts [--quick] [--out FILE]';
const PATHS = ['remote-write', 'otlp'] as const;
type Path = (typeof PATHS)[number];
const EXPORTER: Record<Path, string> = { 'remote-write': 'prometheus_remote_write', otlp: 'otlp_http/prometheus' };

const SETTINGS = {
  full: { series: 600, intervalMs: 2000, windowSeconds: 60, repetitions: 3 },
  quick: { series: 50, intervalMs: 2000, windowSeconds: 8, repetitions: 1 },
};

class SendReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function post(port: number, body: Uint8Array): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/metrics', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode ?? 0));
    });
    req.once('error', fail);
    req.end(body);
  });
}

async function prometheusState(url: string) {
  const metrics = await CollectorMetrics.scrape(`${url}/metrics`);
  return { samples: metrics.sum('prometheus_tsdb_head_samples_appended'), series: metrics.sum('prometheus_tsdb_head_series') };
}

async function values(url: string, path: string): Promise<string[]> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data?: string[] };
  if (body.status !== 'success' || !body.data) throw new Error(`${url}${path} answered ${response.status}`);
  return body.data.sort();
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (args.help) return void process.stdout.write(`${USAGE}\n`);
  const settings = args.quick ? SETTINGS.quick : SETTINGS.full;
  const out = resolve(args.out ?? (args.quick ? join(repoRoot, '.run', 'bench', 'metrics-path.json') : join(repoRoot, 'bench', 'results', 'metrics-path.json')));
  const runDir = join(repoRoot, '.run', 'bench', 'metrics-path');
  rmSync(runDir, { recursive: true, force: true });
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`metrics-path: ${line}\n`);

  const prometheusBinary = toolPath('prometheus');
  // The OTLP receiver's settings as shipped: which resource attributes become labels, and the scope.
  const shippedOtlp = (parse(readFileSync(join(repoRoot, 'observability', 'prometheus', 'prometheus.yml'), 'utf8')) as { otlp: { promote_resource_attributes: string[] } }).otlp;
  toolPath('otelcol');
  const prometheus = new Map<Path, { url: string; process: ManagedProcess }>();
  const collectors = new Map<Path, { otlpHttp: number; metricsUrl: string; process: ManagedProcess }>();
  for (const path of PATHS) {
    const port = await freePort();
    const dir = join(runDir, path);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, stringify({ global: { scrape_interval: '15s' }, ...(path === 'otlp' ? { otlp: shippedOtlp } : {}) }));
    const managed = new ManagedProcess({
      name: `prometheus-${path}`,
      command: prometheusBinary,
      args: [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
        path === 'otlp' ? '--web.enable-otlp-receiver' : '--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage'],
      ready: { http: `http://127.0.0.1:${port}/-/ready` },
      listens: [port],
    }, logDir);
    prometheus.set(path, { url: `http://127.0.0.1:${port}`, process: managed });

    const ports = await freePorts();
    const spec = backendSpec('otel-collector', { runDir: dir, metricExportIntervalMs: settings.intervalMs, ports });
    spec.name = `otel-collector-${path}`;
    spec.env = { ...spec.env, PROMETHEUS_OTLP_URL: `http://127.0.0.1:${port}/api/v1/otlp/v1/metrics` };
    if (path === 'remote-write') {
      // The exporter as the kit configured it before it moved to OTLP: the same labels, queue and retries.
      const overlay = join(dir, 'collector-overlay.yaml');
      writeFileSync(overlay, stringify({
        exporters: {
          prometheus_remote_write: {
            http: { endpoint: `http://127.0.0.1:${port}/api/v1/write`, timeout: '5s' },
            resource_constant_labels: { included: shippedOtlp.promote_resource_attributes },
            target_info: { enabled: true },
            remote_write_queue: { enabled: true, queue_size: 500, num_consumers: 2 },
            retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '10s', max_elapsed_time: '60s' },
          },
        },
        service: { pipelines: { metrics: { exporters: ['prometheus_remote_write'] } } },
      }));
      spec.args = [...spec.args, `--config=${overlay}`];
    }
    collectors.set(path, { otlpHttp: ports.otlpHttp, metricsUrl: `http://127.0.0.1:${ports.collectorMetrics}/metrics`, process: new ManagedProcess(spec, logDir) });
  }
  const everything = [...[...prometheus.values()].map((one) => one.process), ...[...collectors.values()].map((one) => one.process)];
  const untrack = track(async () => {
    for (const managed of [...everything].reverse()) await managed.stop();
  });
  for (const managed of everything) managed.start();
  await Promise.all(everything.map((managed) => managed.waitReady(60_000)));

  // One request for both Collectors: the SDK's own aggregation and serialisation, as a service sends it.
  const reader = new SendReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-metrics', 'service.instance.id': 'bench-1', 'shop.qos.class': 'guaranteed', 'deployment.environment.name': 'bench' }),
    readers: [reader],
  });
  const meter = provider.getMeter('qoslab.bench.metrics-path');
  const counter = meter.createCounter('bench.requests', { unit: '{request}' });
  const histogram = meter.createHistogram('bench.duration', { unit: 's' });
  let requests = 0;
  let refused = 0;
  let sending = true;
  const sender = (async () => {
    while (sending) {
      for (let i = 0; i < settings.series; i++) {
        const attributes = { 'http.route': `/route/${i}`, 'http.response.status_code': 200 };
        counter.add(1, attributes);
        histogram.record(Math.random() / 10, attributes);
      }
      const { resourceMetrics } = await reader.collect();
      const body = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
      if (!body) throw new Error('the SDK serialised no metrics');
      const statuses = await Promise.all([...collectors.values()].map((one) => post(one.otlpHttp, body)));
      requests++;
      refused += statuses.filter((status) => status !== 200).length;
      await sleep(settings.intervalMs);
    }
  })();

  log(`${settings.series} counters and ${settings.series} histograms every ${settings.intervalMs} ms to both Collectors; warming up`);
  await sleep(3 * settings.intervalMs + 2000);
  const pids = new Map<string, number>();
  for (const managed of everything) pids.set(managed.name, managed.pid!);
  const windows: Array<Record<string, { cores: number; rssMiB: number; samplesPerSecond?: number; cpuSecondsPerMillionSamples?: number }>> = [];
  for (let rep = 1; rep <= settings.repetitions; rep++) {
    const before = new Map(await Promise.all(PATHS.map(async (path) => [path, await prometheusState(prometheus.get(path)!.url)] as const)));
    const cpu = cpuWindow(pids);
    const rss = new RssSampler(pids);
    const started = performance.now();
    await sleep(settings.windowSeconds * 1000);
    const seconds = (performance.now() - started) / 1000;
    const used = cpu.end();
    const peak = rss.stop();
    const window: (typeof windows)[number] = {};
    for (const path of PATHS) {
      const after = await prometheusState(prometheus.get(path)!.url);
      const samples = after.samples - before.get(path)!.samples;
      for (const name of [`prometheus-${path}`, `otel-collector-${path}`]) {
        const cpuSeconds = used.get(name)!.cpuSeconds;
        window[name] = {
          cores: Math.round(used.get(name)!.cores * 1000) / 1000,
          rssMiB: Math.round(peak.get(name)!.rssMiB * 10) / 10,
          samplesPerSecond: Math.round(samples / seconds),
          cpuSecondsPerMillionSamples: samples > 0 ? Math.round((cpuSeconds / samples) * 1e6 * 10) / 10 : undefined,
        };
      }
    }
    windows.push(window);
    log(`window ${rep} of ${settings.repetitions}: ${JSON.stringify(window)}`);
  }
  sending = false;
  await sender;
  // Until both have stored all they were sent: the Collectors' batches and queues drain.
  let last = '';
  for (let polls = 0; polls < 30; polls++) {
    await sleep(1000);
    const now = JSON.stringify(await Promise.all(PATHS.map((path) => prometheusState(prometheus.get(path)!.url))));
    if (now === last) break;
    last = now;
  }

  const exporters = await Promise.all(PATHS.map(async (path) => {
    const metrics = await CollectorMetrics.scrape(collectors.get(path)!.metricsUrl);
    const exporter = { exporter: EXPORTER[path] };
    return [path, {
      sentPoints: metrics.sum('otelcol_exporter_sent_metric_points', exporter),
      failedPoints: metrics.sum('otelcol_exporter_send_failed_metric_points', exporter) + metrics.sum('otelcol_exporter_enqueue_failed_metric_points', exporter),
    }] as const;
  }));
  const stored = await Promise.all(PATHS.map(async (path) => {
    const url = prometheus.get(path)!.url;
    return [path, { ...(await prometheusState(url)), names: await values(url, '/api/v1/label/__name__/values'), labels: await values(url, '/api/v1/labels') }] as const;
  }));
  for (const managed of [...everything].reverse()) await managed.stop();
  untrack();
  await provider.shutdown();

  const [rw, otlp] = [stored[0]![1], stored[1]![1]];
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  const per = (name: string, field: 'cores' | 'cpuSecondsPerMillionSamples' | 'rssMiB') => spread(windows.map((w) => w[name]![field] ?? 0), field === 'cores' ? 3 : 1);
  const results = {
    schema: 1,
    mode: args.quick ? 'quick' : 'full',
    measuredAt: new Date().toISOString(),
    settings,
    requests,
    refusedRequests: refused,
    windows,
    summary: Object.fromEntries(PATHS.flatMap((path) => [`prometheus-${path}`, `otel-collector-${path}`].map((name) => [name, {
      cores: per(name, 'cores'),
      rssMiB: per(name, 'rssMiB'),
      cpuSecondsPerMillionSamples: per(name, 'cpuSecondsPerMillionSamples'),
    }]))),
    exporters: Object.fromEntries(exporters),
    stored: {
      'remote-write': { samples: rw.samples, series: rw.series, metricNames: rw.names.length, labelNames: rw.labels.length },
      otlp: { samples: otlp.samples, series: otlp.series, metricNames: otlp.names.length, labelNames: otlp.labels.length },
      metricNamesOnlyByRemoteWrite: only(rw.names, otlp.names),
      metricNamesOnlyByOtlp: only(otlp.names, rw.names),
      labelNamesOnlyByRemoteWrite: only(rw.labels, otlp.labels),
      labelNamesOnlyByOtlp: only(otlp.labels, rw.labels),
    },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${out}`);
  log(`summary: ${JSON.stringify(results.summary)}`);
  log(`stored: ${JSON.stringify(results.stored)}`);
  const failed = refused > 0 || exporters.some(([, one]) => one.failedPoints > 0) || rw.samples === 0 || otlp.samples === 0;
  if (failed) throw new Error(`a path lost data: ${refused} requests refused, exporters ${JSON.stringify(Object.fromEntries(exporters))}`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`metrics-path: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exit(1);
});
