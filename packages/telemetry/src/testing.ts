import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { HttpDurations } from './http-durations';
import { curatedInstrumentations } from './instrumentations';

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface TestTelemetry {
  spans(): ReadableSpan[];
  collectMetrics(): Promise<ResourceMetrics>;
  reset(): void;
}

/**
 * In-memory telemetry for tests, with the same curated instrumentations as the register module.
 * Call it before the code under test requires pg.
 */
export function startTestTelemetry(): TestTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const httpDurations = new HttpDurations();
  httpDurations.attach(AggregationTemporality.CUMULATIVE);
  const reader = new OnDemandReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, metricProducers: [httpDurations] });
  const resource = resourceFromAttributes({ 'service.name': 'test' });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(
    new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ resource, readers: [reader] }));
  registerInstrumentations({ instrumentations: curatedInstrumentations(process.env, httpDurations) });
  return {
    spans: () => spanExporter.getFinishedSpans(),
    collectMetrics: async () => (await reader.collect()).resourceMetrics,
    reset: () => spanExporter.reset(),
  };
}
