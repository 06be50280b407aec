// The benchmark's arithmetic and parsing, on known inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExposition, CollectorMetrics } from '../../bench/lib/collector-metrics';
import { isSpread, pairedRatios, spread } from '../../bench/lib/stats';
import { barChart } from '../../bench/lib/svg';

test('spread: median, quartiles and range of the repetitions, non-finite values left out', () => {
  const result = spread([5, 1, 4, 2, 3, Number.NaN]);
  assert.deepEqual({ ...result, values: undefined }, { n: 5, median: 3, q1: 2, q3: 4, min: 1, max: 5, values: undefined });
  assert.deepEqual(spread([2, 4]).median, 3);
  assert.ok(isSpread(result));
  assert.throws(() => spread([Number.NaN]), /no finite values/);
});

test('pairedRatios divides repetition by repetition and refuses unequal series', () => {
  assert.deepEqual(pairedRatios([90, 50], [100, 100]), [0.9, 0.5]);
  assert.throws(() => pairedRatios([1], [1, 2]), /differ in length/);
});

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

test('the bar chart is an SVG with one bar and one whisker per value, and escapes labels', () => {
  const svg = barChart({
    title: 'Start-up <ms>',
    unit: 'ms',
    groups: [
      { label: 'a & b', bars: [{ label: 'on', median: 10, min: 8, max: 12, color: '#000' }] },
      { label: 'c', bars: [{ label: 'off', median: 5, min: 5, max: 6, color: '#999' }] },
    ],
    lines: [{ value: 9, label: 'goal', color: '#f00' }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect x="[\d.]+" y="\d+" width="[\d.]+" height="14"/g)?.length, 2);
  assert.ok(svg.includes('a &amp; b') && svg.includes('Start-up &lt;ms&gt;'));
  assert.ok(!svg.includes('NaN'));
});
