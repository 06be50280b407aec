import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTelemetryConfig } from './env-config';

test('defaults: OTLP over HTTP/protobuf for traces and metrics, parent-based always-on, W3C propagation', () => {
  const config = readTelemetryConfig({});
  assert.deepEqual(config.traces, { exporter: 'otlp', protocol: 'http/protobuf' });
  assert.deepEqual(config.metrics, { exporter: 'otlp', protocol: 'http/protobuf', intervalMs: 60_000, timeoutMs: 30_000 });
  assert.deepEqual(config.sampler, { name: 'parentbased_always_on', ratio: 1 });
  assert.deepEqual(config.propagators, ['tracecontext', 'baggage']);
});

test('reads exporters, protocols, sampler, batch, limits and the metric interval', () => {
  const config = readTelemetryConfig({
    OTEL_TRACES_EXPORTER: 'console',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
    OTEL_BSP_MAX_QUEUE_SIZE: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_METRIC_EXPORT_TIMEOUT: '9000',
    OTEL_PROPAGATORS: 'tracecontext',
  });
  assert.deepEqual(config.traces, { exporter: 'console', protocol: 'http/json' });
  assert.deepEqual(config.metrics, { exporter: 'none', protocol: 'http/protobuf', intervalMs: 5000, timeoutMs: 5000 });
  assert.deepEqual(config.sampler, { name: 'parentbased_traceidratio', ratio: 0.1 });
  assert.equal(config.batch.maxQueueSize, 1000);
  assert.equal(config.batch.scheduledDelayMillis, 200);
  assert.equal(config.spanLimits.attributeCountLimit, 64);
  assert.deepEqual(config.propagators, ['tracecontext']);
});

test('values the kit cannot honour fall back to the defaults', () => {
  const config = readTelemetryConfig({
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_TRACES_SAMPLER: 'jaeger_remote',
    OTEL_TRACES_SAMPLER_ARG: '2',
    OTEL_BSP_MAX_QUEUE_SIZE: '-5',
    OTEL_PROPAGATORS: 'b3,none',
  });
  assert.deepEqual(config.traces, { exporter: 'otlp', protocol: 'http/protobuf' });
  assert.deepEqual(config.sampler, { name: 'parentbased_always_on', ratio: 1 });
  assert.equal(config.batch.maxQueueSize, undefined);
  assert.deepEqual(config.propagators, []);
});

test('"none" anywhere in the exporter list turns the signal off', () => {
  assert.equal(readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'otlp,none' }).traces.exporter, 'none');
});
