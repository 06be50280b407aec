import { context, DiagConsoleLogger, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { defaultResource, detectResources, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  ConsoleMetricExporter,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { findContainerCgroup } from './cgroup';
import { registerContainerMetrics } from './container-metrics';
import { readTelemetryConfig, type TelemetryConfig } from './env-config';
import { HttpDurations } from './http-durations';
import { curatedInstrumentations } from './instrumentations';
import { setTelemetryShutdown } from './lifecycle';
import { detectorsFromEnv, serviceVersion } from './resource';

function sampler({ name, ratio }: TelemetryConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

// Exporter packages are required only when chosen: each costs start-up time.
/* eslint-disable @typescript-eslint/no-require-imports */
function spanExporter({ exporter, protocol }: TelemetryConfig['traces']): SpanExporter | undefined {
  if (exporter === 'none') return undefined;
  if (exporter === 'console') return new ConsoleSpanExporter();
  return protocol === 'http/json'
    ? new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
    : new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

function metricExporter({ exporter, protocol }: TelemetryConfig['metrics']): PushMetricExporter | undefined {
  if (exporter === 'none') return undefined;
  if (exporter === 'console') return new ConsoleMetricExporter();
  return protocol === 'http/json'
    ? new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter()
    : new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Starts tracing and metrics from the standard OTEL_* variables: the providers, the curated
 * instrumentations, the resource, the container's vital signs, and the shutdown hook. Loaded lazily
 * by register.ts, which knip cannot follow.
 * @public
 */
export function startTelemetry(entryPoint = process.argv[1]): void {
  // Settings that cannot be honoured are always reported; the SDK's own chatter (failed exports while
  // the Collector restarts, for example) only when OTEL_LOG_LEVEL asks for it.
  const logLevel = process.env.OTEL_LOG_LEVEL;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel ?? 'warn') });
  const config = readTelemetryConfig();
  if (!logLevel) diag.disable();

  const version = serviceVersion(entryPoint);
  const packageName = process.env.npm_package_name?.replace(/^@[^/]+\//, '');
  // Lowest precedence first: detected attributes, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        ...(packageName ? { [ATTR_SERVICE_NAME]: packageName } : {}),
        ...(version ? { [ATTR_SERVICE_VERSION]: version } : {}),
      }),
    )
    .merge(detectResources({ detectors: detectorsFromEnv(process.env.OTEL_NODE_RESOURCE_DETECTORS) }));

  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  const propagators = config.propagators.map((name) => (name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator()));
  if (propagators.length > 0) propagation.setGlobalPropagator(new CompositePropagator({ propagators }));

  const shutdowns: Array<() => Promise<void>> = [];
  const traceExporter = spanExporter(config.traces);
  if (traceExporter) {
    const processor =
      traceExporter instanceof ConsoleSpanExporter
        ? new SimpleSpanProcessor({ exporter: traceExporter })
        : new BatchSpanProcessor({ exporter: traceExporter, ...config.batch });
    const tracerProvider = new TracerProvider({ resource, sampler: sampler(config.sampler), spanLimits: config.spanLimits, spanProcessors: [processor] });
    trace.setGlobalTracerProvider(tracerProvider);
    shutdowns.push(() => tracerProvider.shutdown());
  }
  const exporter = metricExporter(config.metrics);
  const httpDurations = new HttpDurations();
  if (exporter) {
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: config.metrics.intervalMs,
      exportTimeoutMillis: config.metrics.timeoutMs,
      metricProducers: [httpDurations],
    });
    httpDurations.attach(exporter.selectAggregationTemporality?.(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE);
    const meterProvider = new MeterProvider({ resource, readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
    shutdowns.push(() => meterProvider.shutdown());
  }

  registerInstrumentations({ instrumentations: curatedInstrumentations(process.env, httpDurations) });

  const cgroup = findContainerCgroup();
  if (cgroup) registerContainerMetrics(cgroup);

  setTelemetryShutdown(async () => {
    await Promise.all(shutdowns.map((shutdown) => shutdown()));
  });
}
