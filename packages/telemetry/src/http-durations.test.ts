import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregationTemporality, DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { HttpDurations } from './http-durations';

const GET = () => ({ 'http.request.method': 'GET', 'http.response.status_code': 200 });

async function serverHistogram(durations: HttpDurations): Promise<HistogramMetricData | undefined> {
  const { resourceMetrics, errors } = await durations.collect();
  assert.deepEqual(errors, []);
  const scope = resourceMetrics.scopeMetrics.find((one) => one.scope.name === '@qoslab/instrumentation-http-server');
  return scope?.metrics[0] as HistogramMetricData | undefined;
}

test('nothing is recorded until a reader is attached', async () => {
  const durations = new HttpDurations();
  durations.server.record(0.003, 'GET 200', GET);
  assert.equal(await serverHistogram(durations), undefined);
});

test('a series per key, in the conventions’ buckets, with count, sum, min and max; cumulative keeps counting', async () => {
  const durations = new HttpDurations();
  durations.attach(AggregationTemporality.CUMULATIVE);
  let built = 0;
  const attributes = () => {
    built++;
    return GET();
  };
  for (const seconds of [0.003, 0.005, 0.02, 12]) durations.server.record(seconds, 'GET 200', attributes);
  durations.server.record(0.5, 'POST 201', () => ({ 'http.request.method': 'POST', 'http.response.status_code': 201 }));
  assert.equal(built, 1, 'the attribute set is built once per series');

  const histogram = await serverHistogram(durations);
  assert.ok(histogram);
  assert.equal(histogram.descriptor.name, 'http.server.request.duration');
  assert.equal(histogram.descriptor.unit, 's');
  assert.equal(histogram.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(histogram.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.equal(histogram.dataPoints.length, 2);
  const get = histogram.dataPoints.find((point) => point.attributes['http.request.method'] === 'GET');
  assert.ok(get);
  assert.deepEqual(get.value.buckets.boundaries, [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  // 0.003 and 0.005 in the first bucket (upper bound inclusive), 0.02 in the third, 12 past the last bound.
  assert.deepEqual(get.value.buckets.counts, [2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(get.value.count, 4);
  assert.ok(Math.abs((get.value.sum ?? 0) - 12.028) < 1e-9);
  assert.equal(get.value.min, 0.003);
  assert.equal(get.value.max, 12);

  durations.server.record(0.004, 'GET 200', attributes);
  const again = (await serverHistogram(durations))?.dataPoints.find((point) => point.attributes['http.request.method'] === 'GET');
  assert.equal(again?.value.count, 5);
  assert.deepEqual(again?.startTime, get.startTime, 'a cumulative series keeps its start');
});

test('delta temporality reports each interval once', async () => {
  const durations = new HttpDurations();
  durations.attach(AggregationTemporality.DELTA);
  durations.server.record(0.003, 'GET 200', GET);
  assert.equal((await serverHistogram(durations))?.dataPoints[0]?.value.count, 1);
  assert.equal(await serverHistogram(durations), undefined, 'nothing new, nothing reported');
  durations.server.record(0.003, 'GET 200', GET);
  assert.equal((await serverHistogram(durations))?.dataPoints[0]?.value.count, 1);
});

test('past the cardinality limit, new series go to the one overflow series', async () => {
  const durations = new HttpDurations();
  durations.attach(AggregationTemporality.CUMULATIVE);
  for (let i = 0; i < 2100; i++) durations.server.record(0.001, `GET /items/${i}`, () => ({ 'http.route': `/items/${i}` }));
  const points = (await serverHistogram(durations))?.dataPoints ?? [];
  assert.equal(points.length, 2000);
  const overflow = points.find((point) => point.attributes['otel.metric.overflow'] === true);
  assert.equal(overflow?.value.count, 101);
});
