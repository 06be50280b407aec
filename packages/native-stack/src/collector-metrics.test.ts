import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectorMetrics, parseExposition } from './collector-metrics';

test('the Collector exposition: counters with or without _total, label filters, absent is 0', () => {
  const text = [
    '# HELP otelcol_receiver_accepted_spans Number of spans successfully pushed into the pipeline.',
    '# TYPE otelcol_receiver_accepted_spans counter',
    'otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 900',
    'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 100',
    'otelcol_exporter_sent_spans_total{exporter="otlp_grpc/jaeger"} 850',
    'otelcol_exporter_sent_spans_total{exporter="debug"} 7',
    'otelcol_exporter_queue_size{data_type="traces",exporter="otlp_grpc/jaeger"} 42',
    'otelcol_process_uptime 12.5',
  ].join('\n');
  const samples = parseExposition(text);
  assert.equal(samples.get('otelcol_receiver_accepted_spans')?.length, 2);
  const metrics = new CollectorMetrics(samples);
  assert.equal(metrics.sum('otelcol_receiver_accepted_spans'), 1000);
  assert.equal(metrics.sum('otelcol_receiver_accepted_spans', { transport: 'http' }), 900);
  assert.equal(metrics.sum('otelcol_exporter_sent_spans', { exporter: 'otlp_grpc/jaeger' }), 850);
  assert.equal(metrics.sum('otelcol_exporter_queue_size', { exporter: 'otlp_grpc/jaeger' }), 42);
  assert.equal(metrics.sum('otelcol_exporter_enqueue_failed_spans'), 0);
  assert.equal(metrics.sum('otelcol_process_uptime'), 12.5);
});

test('the exposition: escaped label values, histograms as _count and _sum', () => {
  const samples = parseExposition(
    [
      '# TYPE otelcol_exporter_sent_spans counter',
      'otelcol_exporter_sent_spans{exporter="a \\"quoted\\" name, with a comma"} 3',
      '# TYPE otelcol_processor_batch_batch_send_size histogram',
      'otelcol_processor_batch_batch_send_size_bucket{le="10"} 1',
      'otelcol_processor_batch_batch_send_size_bucket{le="+Inf"} 4',
      'otelcol_processor_batch_batch_send_size_sum 130',
      'otelcol_processor_batch_batch_send_size_count 4',
    ].join('\n'),
  );
  assert.deepEqual(samples.get('otelcol_exporter_sent_spans'), [{ labels: { exporter: 'a "quoted" name, with a comma' }, value: 3 }]);
  assert.equal(samples.get('otelcol_processor_batch_batch_send_size_count')?.[0]?.value, 4);
  assert.equal(samples.get('otelcol_processor_batch_batch_send_size_sum')?.[0]?.value, 130);
});
